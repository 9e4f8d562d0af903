"""Recordings and the uploads they arrive by.

A Recording exists only once its sealed file has been received whole, verified against the
camera's signature and stored durably; until then there is only an Upload.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Upload(models.Model):
    """A resumable upload of one sealed recording (docs/api-camera.md section 4)."""

    class State(models.TextChoices):
        RECEIVING = "receiving", _("receiving")
        COMPLETE = "complete", _("complete")

    recording_id = models.UUIDField(_("recording id"), primary_key=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="uploads",
        verbose_name=_("organisation"),
    )
    camera = models.ForeignKey(
        "devices.Camera", on_delete=models.PROTECT, related_name="uploads", verbose_name=_("camera")
    )
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    offset = models.BigIntegerField(_("bytes received"), default=0)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.RECEIVING
    )
    created_at = models.DateTimeField(_("started at"))
    updated_at = models.DateTimeField(_("last bytes at"))

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        constraints = [
            models.CheckConstraint(
                condition=Q(offset__gte=0) & Q(offset__lte=models.F("size")),
                name="upload_offset_in_range",
            )
        ]

    def __str__(self):
        return f"{self.recording_id} {self.offset}/{self.size}"


class Recording(models.Model):
    """One verified, stored recording and what the camera signed about it (REC-3..REC-5)."""

    class State(models.TextChoices):
        STORED = "stored", _("stored")
        SHREDDED = "shredded", _("deleted (key destroyed)")

    id = models.UUIDField(primary_key=True, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="recordings",
        verbose_name=_("organisation"),
    )
    municipality = models.ForeignKey(
        "organisations.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recordings",
        verbose_name=_("municipality"),
    )
    team = models.ForeignKey(
        "organisations.Team",
        on_delete=models.PROTECT,
        related_name="recordings",
        verbose_name=_("team"),
    )
    camera = models.ForeignKey(
        "devices.Camera",
        on_delete=models.PROTECT,
        related_name="recordings",
        verbose_name=_("camera"),
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recordings",
        verbose_name=_("officer"),
    )
    assignment = models.ForeignKey(
        "devices.CameraAssignment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recordings",
        verbose_name=_("shift"),
    )
    started_at = models.DateTimeField(_("start"))
    stopped_at = models.DateTimeField(_("stop"), null=True, blank=True)
    pre_record_seconds = models.FloatField(_("pre-record seconds"))
    complete = models.BooleanField(
        _("finalized by the camera"),
        help_text=_("False when the camera lost power before it closed the recording."),
    )
    incomplete_reason = models.CharField(_("why incomplete"), max_length=300, blank=True)
    includes_colleagues = models.BooleanField(_("includes colleagues"), default=False)
    warning = models.CharField(
        _("spoken warning"),
        max_length=12,
        blank=True,
        help_text=_("As marked on the camera: before, after or none (REC-4)."),
    )
    emergency = models.BooleanField(_("emergency button"), default=False)
    metadata = models.JSONField(_("camera metadata"), default=dict)
    size = models.BigIntegerField(_("size of the sealed file"))
    sha256 = models.CharField(_("SHA-256 of the sealed file as uploaded"), max_length=64)
    header_sha256 = models.CharField(_("header SHA-256"), max_length=64)
    ciphertext_sha256 = models.CharField(_("ciphertext SHA-256"), max_length=64)
    plaintext_size = models.BigIntegerField(_("footage bytes"))
    chunk_count = models.PositiveIntegerField(_("chunks"))
    retention_until = models.DateTimeField(_("retention deadline"), db_index=True)
    storage_url = models.CharField(_("storage location"), max_length=500)
    storage_key = models.CharField(_("object key"), max_length=300)
    data_key_name = models.CharField(_("key store entry"), max_length=200)
    stored_at = models.DateTimeField(_("stored at"))
    receipt = models.JSONField(_("signed receipt"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.STORED)
    clock_implausible = models.BooleanField(
        _("camera clock implausible"),
        default=False,
        help_text=_(
            "The start time the camera signed is before its enrolment, in the future or far "
            "from its previous dock; the retention term counts from the ingest time instead."
        ),
    )
    clock_note = models.CharField(_("why the clock is implausible"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["organisation", "started_at"])]

    def __str__(self):
        return f"{self.camera} {self.started_at:%Y-%m-%d %H:%M}"
