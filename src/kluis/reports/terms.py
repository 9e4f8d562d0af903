"""When a report is due, and which reports are missing (RPT-1, RPT-3)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q

from kluis.core.clock import AMSTERDAM, now
from kluis.organisations.people import lines_managed_by
from kluis.recordings.models import Recording

from .models import IncidentReport

#: The reminder goes out this long before the report is due.
REMINDER_BEFORE = dt.timedelta(hours=1)


def due_at(recording) -> dt.datetime:
    """The end of the shift in which the recording was made.

    Without a shift (a camera used unassigned) the report is due at the end of the recording's
    day in the Netherlands, so a missing shift never lets a report go unrequested.
    """
    if recording.assignment_id and recording.assignment.shift_end:
        return recording.assignment.shift_end
    day = recording.started_at.astimezone(AMSTERDAM).date()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), AMSTERDAM) - dt.timedelta(
        seconds=1
    )


def _recordings():

    return (
        Recording.objects.filter(state=Recording.State.STORED, officer__isnull=False)
        .annotate(reported=Exists(IncidentReport.objects.filter(recording=OuterRef("pk"))))
        .filter(reported=False)
        .select_related("assignment", "camera", "officer", "team", "organisation")
    )


def missing_for_officer(user):
    """The officer's own recordings that have no report yet."""
    return _recordings().filter(officer=user).order_by("started_at")


def missing_for_manager(user, on: dt.date | None = None):
    """Recordings without a report of the officers this person manages or deputises for today."""
    lines = lines_managed_by(user, on)
    return (
        _recordings()
        .filter(
            Q(
                Exists(
                    lines.filter(officer=OuterRef("officer"), organisation=OuterRef("organisation"))
                )
            )
        )
        .order_by("started_at")
    )


def is_overdue(recording, at: dt.datetime | None = None) -> bool:
    return (at or now()) > due_at(recording)
