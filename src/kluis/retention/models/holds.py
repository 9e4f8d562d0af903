"""Holds: what keeps a recording from deletion whatever its date (RET-2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class HoldQuerySet(models.QuerySet):
    def active(self):
        return self.filter(released_at__isnull=True)


class Hold(models.Model):
    """Keeps one recording from deletion until its case is closed (RET-2).

    Holds know nothing about the apps that place them: a complaint, a GDPR request or a police
    demand names itself by `case_reference`, so the cases app can place and release holds without
    this app knowing its models.
    """

    class Reason(models.TextChoices):
        CRIMINAL_REPORT = "criminal_report", _("criminal report or police/OM demand")
        COMPLAINT = "complaint", _("complaint")
        GDPR_REQUEST = "gdpr_request", _("GDPR request")
        CLAIM = "claim", _("claim for damages")
        LEARNING = "learning", _("learning, on the officer's initiative")

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="holds",
        verbose_name=_("organisation"),
    )
    recording = models.ForeignKey(
        "recordings.Recording",
        on_delete=models.PROTECT,
        related_name="holds",
        verbose_name=_("recording"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    case_reference = models.CharField(_("case"), max_length=120)
    note = models.CharField(_("note"), max_length=500, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )
    placed_at = models.DateTimeField(_("placed at"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_note = models.CharField(_("why released"), max_length=500, blank=True)

    objects = HoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["placed_at"]
        indexes = [models.Index(fields=["recording", "released_at"])]
        constraints = [
            # One active hold per case and reason on a recording: placing it twice is a no-op.
            models.UniqueConstraint(
                fields=["recording", "reason", "case_reference"],
                condition=Q(released_at__isnull=True),
                name="hold_one_active_per_case",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_at__gte=models.F("placed_at")),
                name="hold_released_after_placed",
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} {self.case_reference}"

    @property
    def active(self) -> bool:
        return self.released_at is None
