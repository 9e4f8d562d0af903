"""Who may view which recording (ACC-1), asked by the viewing rules and the staff pages alike.

The manager is the officer's manager or deputy on the day of viewing (ReportingLine, ORG-3): who
manages whom changes over time, and it is today's manager who answers for today's viewing.
Administrators and the supplier never qualify, whatever else they are (ORG-4).
"""

from __future__ import annotations

import datetime as dt

from kluis.core.clock import today
from kluis.organisations.people import (
    is_manager_or_deputy_of,
    managers_or_deputies_of,
    may_see_footage,
)

from .models import Participant


def managers_for(recording, on: dt.date | None = None) -> list:
    """The involved officer's manager and deputy on `on` (default today)."""
    if recording.officer_id is None:
        return []
    return managers_or_deputies_of(recording.officer, recording.organisation, on or today())


def is_involved_officer(user, recording) -> bool:
    return recording.officer_id is not None and recording.officer_id == user.pk


def is_manager_for(user, recording, on: dt.date | None = None) -> bool:
    return is_manager_or_deputy_of(user, recording.officer, recording.organisation, on)


def may_see(user, recording) -> bool:
    """Not an administrator-only or supplier-only person of the recording's organisation."""
    return may_see_footage(user, recording.organisation)


def may_know_recording(user, recording) -> bool:
    """May see the recording's page (metadata, holds, deletion date): ACC-1's people only.

    Invited staff qualify only through a viewing session they were invited to.
    """
    if not may_see(user, recording):
        return False
    if is_involved_officer(user, recording) or is_manager_for(user, recording):
        return True

    return Participant.objects.filter(session__recording=recording, user=user).exists()
