"""When a recording is due: its term, early-deletion grounds and holds, read from the clock.

The term of a recording is its start plus the policy's retention days (RET-1), computed by
ingest (`kluis.recordings.ingest.term_end`) and kept in the indexed `Recording.retention_until`,
so the purge finds due recordings among millions with one range scan. A policy change
recomputes it for every stored recording of the organisation (the brake in `retention_changed`
asks first when that makes recordings due at once).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from kluis.core.clock import now
from kluis.recordings.models import Recording

from .models import Deletion, EarlyDeletion, Hold


def active_holds():
    """Subquery: an active hold on the outer recording."""
    return Hold.objects.filter(recording=OuterRef("pk"), released_at__isnull=True)


def due_recordings(at: dt.datetime | None = None, organisation=None):
    """Stored recordings that the purge must delete at `at`: past their term or early-deletion
    date, with no active hold, and not already being deleted (RET-1..RET-3)."""
    at = at or now()
    early = EarlyDeletion.objects.filter(due_from__lte=at)
    if organisation is not None:
        early = early.filter(organisation=organisation)
    qs = Recording.objects.filter(state=Recording.State.STORED).filter(
        Q(retention_until__lte=at) | Q(pk__in=early.values("recording_id"))
    )
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs.exclude(Exists(active_holds())).exclude(
        Exists(Deletion.objects.filter(recording=OuterRef("pk")))
    )


@dataclass(frozen=True)
class RetentionStatus:
    """What a person sees about one recording's retention."""

    term_end: dt.datetime
    early_deletion_from: dt.datetime | None
    early_deletion_grounds: str
    active_holds: list
    deletion_state: str
    #: When the purge will take it: None while a hold keeps it, or once it is gone.
    deletion_due: dt.datetime | None


def status(recording) -> RetentionStatus:
    """The deletion date of a recording follows from its term, early grounds and holds."""
    holds = list(Hold.objects.active().filter(recording=recording))
    early = EarlyDeletion.objects.filter(recording=recording).first()
    deletion = Deletion.objects.filter(recording=recording).first()
    due = recording.retention_until
    if early is not None:
        due = min(due, early.due_from)
    if holds or deletion is not None:
        due = None
    return RetentionStatus(
        term_end=recording.retention_until,
        early_deletion_from=early.due_from if early else None,
        early_deletion_grounds=early.grounds if early else "",
        active_holds=holds,
        deletion_state=deletion.state if deletion else "",
        deletion_due=due,
    )


@dataclass(frozen=True)
class RetentionPreview:
    """What a change of retention days would do, shown before it is made (the brake)."""

    old_days: int
    new_days: int
    #: Stored recordings that would become due at once, without a hold.
    newly_due: int
    #: Of the recordings past the new term, those that a hold keeps anyway.
    newly_past_term_held: int


def preview_retention_change(
    organisation, new_days: int, at=None, old_days: int | None = None
) -> RetentionPreview:
    """How many recordings a new retention period makes due at once: past the new term and
    not yet past their current one. (A longer period makes none due.) Every term moves by the
    difference in days, so it stays counted from the same moment ingest counted it from."""
    at = at or now()
    if old_days is None:
        old_days = organisation.policy.retention_days
    shorter = dt.timedelta(days=old_days - new_days)
    affected = (
        Recording.objects.filter(
            organisation=organisation,
            state=Recording.State.STORED,
            retention_until__lte=at + shorter,
            retention_until__gt=at,
        )
        .exclude(Exists(Deletion.objects.filter(recording=OuterRef("pk"))))
        .exclude(pk__in=EarlyDeletion.objects.filter(due_from__lte=at).values("recording_id"))
    )
    held = affected.filter(Exists(active_holds())).count()
    return RetentionPreview(old_days, new_days, affected.count() - held, held)
