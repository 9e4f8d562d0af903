"""Four-eyes viewing sessions (ACC-1..ACC-4).

A session is about one recording and states its purpose. It names its participants: the involved
officer, the officer's manager and/or deputy, and staff that manager invites. It opens only when
the involved officer and a manager or deputy have both confirmed, each with their own password
and TOTP code; it ends when any participant ends it, reports a breach, or its time runs out.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kluis.core.clock import now


class ViewingSession(models.Model):
    class Purpose(models.TextChoices):
        COMPLAINT = "complaint", _("handling a complaint")
        GDPR_REQUEST = "gdpr_request", _("handling a GDPR request")
        LEARNING = "learning", _("learning from the incident, on the officer's initiative")
        CRIMINAL_REPORT = "criminal_report", _("evidence for a criminal report")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for confirmations")
        OPEN = "open", _("open")
        ENDED = "ended", _("ended")
        BREACHED = "breached", _("ended after a reported breach")

    class EndReason(models.TextChoices):
        ENDED = "ended", _("ended by a participant")
        BREACH = "breach", _("breach reported")
        EXPIRED = "expired", _("time ran out")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="viewing_sessions",
        verbose_name=_("organisation"),
    )
    recording = models.ForeignKey(
        "recordings.Recording",
        on_delete=models.PROTECT,
        related_name="viewing_sessions",
        verbose_name=_("recording"),
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    case_reference = models.CharField(_("case reference"), max_length=100, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("involved officer"),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("created at"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    end_reason = models.CharField(
        _("why it ended"), max_length=10, choices=EndReason.choices, blank=True
    )
    breach_report = models.TextField(_("breach report"), blank=True)

    class Meta:
        verbose_name = _("viewing session")
        verbose_name_plural = _("viewing sessions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="open") | Q(opened_at__isnull=False, expires_at__isnull=False),
                name="viewing_open_has_times",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "open"]) | Q(ended_at__isnull=False),
                name="viewing_ended_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} · {self.recording_id}"

    @property
    def short_id(self) -> str:
        return str(self.id)[:8]

    @property
    def is_open(self) -> bool:
        """Open and within its time: the only state in which footage streams (ACC-2)."""
        return (
            self.state == self.State.OPEN
            and self.expires_at is not None
            and now() < self.expires_at
        )

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.ENDED, self.State.BREACHED)


class Participant(models.Model):
    class Capacity(models.TextChoices):
        OFFICER = "officer", _("involved officer")
        MANAGER = "manager", _("manager or deputy")
        INVITED = "invited", _("invited by the manager")

    class How(models.TextChoices):
        OWN_LOGIN = "own_login", _("from their own login")
        CO_SIGN = "co_sign", _("with password and code on the same screen")

    session = models.ForeignKey(
        ViewingSession,
        on_delete=models.CASCADE,
        related_name="participants",
        verbose_name=_("viewing session"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="viewing_participations",
        verbose_name=_("person"),
    )
    capacity = models.CharField(_("takes part as"), max_length=10, choices=Capacity.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_how = models.CharField(
        _("confirmed how"), max_length=10, choices=How.choices, blank=True
    )
    confirmed_on_screen_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed on the screen of"),
    )
    first_streamed_at = models.DateTimeField(_("first watched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="viewing_participant_once")
        ]

    def __str__(self):
        return f"{self.user} ({self.get_capacity_display()})"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None
