"""Cameras and what ties them to an organisation: enrolment codes, keys, shifts (ORG-5).

A camera is registered to one organisation and team; it becomes able to deliver footage only
once it has enrolled its own Ed25519 public key with a single-use code that a functional
administrator issued. The organisation's X25519 key (cameras seal footage to it) lives here too.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Camera(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("registered, waiting for enrolment")
        ENROLLED = "enrolled", _("enrolled")
        RETIRED = "retired", _("retired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="cameras",
        verbose_name=_("organisation"),
    )
    team = models.ForeignKey(
        "organisations.Team",
        on_delete=models.PROTECT,
        related_name="cameras",
        verbose_name=_("team"),
    )
    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED
    )
    public_key = models.BinaryField(_("signing public key (Ed25519)"), null=True, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["organisation", "team", "serial"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="enrolled") | Q(public_key__isnull=False),
                name="camera_enrolled_has_key",
            )
        ]

    def __str__(self):
        return self.label or self.serial

    def clean(self):
        if self.team_id and self.team.organisation_id != self.organisation_id:
            raise ValidationError(_("The team belongs to another organisation."))

    @property
    def may_deliver(self) -> bool:
        """Only an enrolled camera with a key delivers footage (ORG-5)."""
        return self.status == self.Status.ENROLLED and bool(self.public_key)


class EnrolmentCode(models.Model):
    """A one-time code that lets one camera enrol into one organisation and team.

    Only the SHA-256 of the code is kept: the code is shown once to the administrator who
    issued it, so a database leak does not let anyone enrol a camera.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="enrolment_codes",
        verbose_name=_("organisation"),
    )
    team = models.ForeignKey(
        "organisations.Team",
        on_delete=models.PROTECT,
        related_name="enrolment_codes",
        verbose_name=_("team"),
    )
    code_sha256 = models.CharField(_("code hash"), max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    camera = models.ForeignKey(
        Camera,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolment_codes",
        verbose_name=_("camera enrolled with it"),
    )

    class Meta:
        verbose_name = _("enrolment code")
        verbose_name_plural = _("enrolment codes")
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("issued_at")), name="enrolment_code_expires_later"
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(camera__isnull=False),
                name="enrolment_code_used_by_camera",
            ),
        ]

    def __str__(self):
        return f"{self.team} · {self.issued_at:%Y-%m-%d %H:%M}"


class CameraAssignment(models.Model):
    """Which officer wears a camera during one shift; recordings made then carry that officer."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="camera_assignments",
        verbose_name=_("organisation"),
    )
    camera = models.ForeignKey(
        Camera, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("camera")
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="camera_assignments",
        verbose_name=_("officer"),
    )
    shift_start = models.DateTimeField(_("shift start"))
    shift_end = models.DateTimeField(_("shift end"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )

    class Meta:
        verbose_name = _("camera assignment")
        verbose_name_plural = _("camera assignments")
        ordering = ["-shift_start"]
        indexes = [models.Index(fields=["camera", "shift_start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(shift_end__gt=F("shift_start")), name="assignment_shift_ordered"
            )
        ]

    def __str__(self):
        return f"{self.camera} → {self.officer} ({self.shift_start:%Y-%m-%d %H:%M})"


class CameraNonce(models.Model):
    """Nonces of signed camera requests seen within the clock window: a reused one is a replay."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["camera", "nonce"], name="camera_nonce_once")
        ]

    def __str__(self):
        return self.nonce


class OrganisationKey(models.Model):
    """The organisation's X25519 key pair: cameras seal every recording's data key to it.

    The private half is in the server key store under `keystore_name`, never in the database.
    """

    organisation = models.OneToOneField(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="sealing_key",
        verbose_name=_("organisation"),
    )
    public_key = models.BinaryField(_("public key (X25519)"))
    keystore_name = models.CharField(_("key store entry"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("organisation sealing key")
        verbose_name_plural = _("organisation sealing keys")

    def __str__(self):
        return f"{self.organisation} X25519"


class RefusalWindow(models.Model):
    """How often one source was refused in one minute (camera auth and enrolment failures).

    Only the first refusal of a source per minute becomes an audit entry; the rest are counted
    here, so a flood of forged requests cannot flood the audit trail (devices.actions).
    """

    chain = models.CharField(max_length=40)
    source = models.CharField(max_length=200)
    minute = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "minute"], name="refusal_window_once")
        ]

    def __str__(self):
        return f"{self.source} {self.minute:%Y-%m-%d %H:%M} ×{self.count}"
