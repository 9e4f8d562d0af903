"""Holds, early-deletion grounds, joint deletion decisions and the purge's own bookkeeping.

A recording's deletion date follows from data, never from a flag someone sets by hand:
its term (`Recording.retention_until`, the recording's start plus the policy's retention days,
RET-1), an `EarlyDeletion` when the policy deletes after handling (RET-3) or when a joint
decision says so (RET-5), and its active `Hold`s, which keep it whatever the date (RET-2).

The purge writes a `Deletion` per recording and moves it through its steps, each step persisted
before the next begins, so a purge killed at any moment is finished by the next run (RET-4).
"""

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


class Deletion(models.Model):
    """The purge's progress on one recording: each step is persisted before the next starts.

    `started` is the point of no return: it is written under a lock on the recording, after
    checking there is no active hold, and a hold cannot be placed on a recording that has one.
    The recording counts as deleted (and its certificate exists) only in `deleted`, after the
    key and the object were found gone, so the database never says "gone" while footage is
    readable.
    """

    class State(models.TextChoices):
        STARTED = "started", _("deletion started")
        KEY_DESTROYED = "key_destroyed", _("key destroyed")
        OBJECT_DELETED = "object_deleted", _("object deleted")
        DELETED = "deleted", _("deleted and verified")

    recording = models.OneToOneField(
        "recordings.Recording",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="deletion",
        verbose_name=_("recording"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    grounds = models.CharField(_("grounds"), max_length=20)
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64, blank=True)
    run = models.ForeignKey(
        "retention.PurgeRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deletions",
        verbose_name=_("purge run"),
    )
    started_at = models.DateTimeField(_("started at"))
    key_destroyed_at = models.DateTimeField(_("key destroyed at"), null=True, blank=True)
    object_deleted_at = models.DateTimeField(_("object deleted at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, db_index=True)
    certificate = models.JSONField(_("deletion certificate"), null=True, blank=True)

    class Meta:
        verbose_name = _("deletion")
        verbose_name_plural = _("deletions")
        indexes = [models.Index(fields=["organisation", "state"])]

    def __str__(self):
        return f"{self.recording_id} {self.state}"


class PurgeRun(models.Model):
    """One run of `kluis purge`: what it found, what it did and where the brake stopped it."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        FAILED = "failed", _("failed")

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RUNNING
    )
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    resumed = models.PositiveIntegerField(_("interrupted deletions finished"), default=0)
    braked = models.JSONField(_("organisations stopped by the brake"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.state}"


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
