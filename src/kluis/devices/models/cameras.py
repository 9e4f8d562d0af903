"""Cameras and the single-use codes they enrol with (ORG-5)."""

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
