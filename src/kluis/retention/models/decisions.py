"""Early deletion: the grounds on which a recording goes before its term, and the joint
decisions of officer and manager that are one of those grounds (RET-3, RET-5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EarlyDeletion(models.Model):
    """A recording may go before its term: its last case was handled under a policy that deletes
    after handling (RET-3), or officer and manager decided together (RET-5). Holds still win."""

    class Grounds(models.TextChoices):
        AFTER_HANDLING = "after_handling", _("deleted after handling (policy)")
        JOINT_DECISION = "joint_decision", _("joint decision of officer and manager")

    recording = models.OneToOneField(
        "recordings.Recording",
        on_delete=models.PROTECT,
        related_name="early_deletion",
        verbose_name=_("recording"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    grounds = models.CharField(_("grounds"), max_length=20, choices=Grounds.choices)
    due_from = models.DateTimeField(_("due from"))
    decision = models.ForeignKey(
        "retention.DeletionDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decision"),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("early deletion")
        verbose_name_plural = _("early deletions")

    def __str__(self):
        return f"{self.recording_id} {self.grounds}"


class DeletionDecision(models.Model):
    """A joint decision to delete a recording early or to edit it (RET-5, H2O 5.8-5.9).

    It takes effect only when the involved officer and that officer's manager (or the manager's
    deputy on the day of approval) have both approved: two different, authenticated people. The
    manager may first record the privacy officer's advice.
    """

    class Kind(models.TextChoices):
        DELETE = "delete", _("early deletion")
        EDIT = "edit", _("editing")

    class State(models.TextChoices):
        OPEN = "open", _("awaiting approval")
        APPROVED = "approved", _("approved by officer and manager")
        REFUSED = "refused", _("refused")

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="deletion_decisions",
        verbose_name=_("organisation"),
    )
    recording = models.ForeignKey(
        "recordings.Recording",
        on_delete=models.PROTECT,
        related_name="deletion_decisions",
        verbose_name=_("recording"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("involved officer"),
    )
    officer_approved_at = models.DateTimeField(_("officer approved at"), null=True, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approving manager or deputy"),
    )
    manager_approved_at = models.DateTimeField(_("manager approved at"), null=True, blank=True)
    privacy_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("privacy officer"),
    )
    privacy_advice = models.TextField(_("privacy officer's advice"), blank=True)
    advice_recorded_at = models.DateTimeField(_("advice recorded at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refused by"),
    )
    refusal_reason = models.TextField(_("why refused"), blank=True)

    class Meta:
        verbose_name = _("joint deletion decision")
        verbose_name_plural = _("joint deletion decisions")
        ordering = ["-proposed_at"]
        constraints = [
            # Even code that skips the action cannot approve with one person (RET-5).
            models.CheckConstraint(
                condition=Q(manager__isnull=True) | ~Q(manager=models.F("officer")),
                name="decision_two_people",
            ),
            models.CheckConstraint(
                condition=~Q(state="approved")
                | (
                    Q(officer_approved_at__isnull=False)
                    & Q(manager_approved_at__isnull=False)
                    & Q(manager__isnull=False)
                ),
                name="decision_approved_by_both",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.recording_id} ({self.get_state_display()})"
