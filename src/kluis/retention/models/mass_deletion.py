"""The brake: a request to confirm a mass deletion, answered by two people."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MassDeletionRequest(models.Model):
    """The brake: a purge that would delete far more than usual waits for two people (one
    functional administrator and one manager of the organisation) to confirm the number."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        USED = "used", _("carried out")
        SUPERSEDED = "superseded", _("superseded")

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="mass_deletion_requests",
        verbose_name=_("organisation"),
    )
    due_count = models.PositiveIntegerField(_("recordings due"))
    threshold = models.PositiveIntegerField(_("usual maximum"))
    median_daily = models.FloatField(_("median daily deletions"))
    created_at = models.DateTimeField(_("stopped at"))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.WAITING
    )
    admin_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by (functional administrator)"),
    )
    admin_confirmed_at = models.DateTimeField(null=True, blank=True)
    manager_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by (manager)"),
    )
    manager_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mass deletion request")
        verbose_name_plural = _("mass deletion requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(admin_confirmed_by__isnull=True)
                | Q(manager_confirmed_by__isnull=True)
                | ~Q(admin_confirmed_by=models.F("manager_confirmed_by")),
                name="mass_deletion_two_people",
            )
        ]

    def __str__(self):
        return f"{self.organisation} {self.due_count} ({self.state})"
