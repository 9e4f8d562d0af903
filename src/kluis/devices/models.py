"""Cameras: registered to one organisation and team, enrolled with their own key (ORG-5)."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
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

    def __str__(self):
        return self.label or self.serial

    def clean(self):
        if self.team_id and self.team.organisation_id != self.organisation_id:
            raise ValidationError(_("The team belongs to another organisation."))
