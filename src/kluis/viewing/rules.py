"""Who may start, take part in and watch viewing sessions (ACC-1, ACC-2, ORG-4).

Registered with the one permission helper; deny by default. Every rule also checks that the
person may see footage in the recording's organisation at all, so an administrator or supplier
is refused even when someone names them as a participant (ORG-4).
"""

from kluis.core.permissions import rule
from kluis.recordings.models import Recording

from .access import is_involved_officer, is_manager_for, may_see
from .models import ViewingSession


def _is_session(obj) -> bool:
    return isinstance(obj, ViewingSession)


def _is_recording(obj) -> bool:
    return isinstance(obj, Recording)


def _participant(user, session):
    return session.participants.filter(user=user).first()


@rule("viewing.start")
def _start(user, recording):
    """The involved officer or their manager/deputy starts a session about a stored recording."""
    if not _is_recording(recording) or recording.officer_id is None or not may_see(user, recording):
        return False
    return is_involved_officer(user, recording) or is_manager_for(user, recording)


@rule("viewing.take_part")
def _take_part(user, session):
    """See the session page, confirm, end it or report a breach: its participants only."""
    if not _is_session(session) or not may_see(user, session.recording):
        return False
    return _participant(user, session) is not None


@rule("viewing.invite")
def _invite(user, session):
    """Only the officer's manager or deputy in the session invites other staff (ACC-1)."""
    if not _is_session(session) or session.is_finished or not may_see(user, session.recording):
        return False
    p = _participant(user, session)
    return p is not None and p.capacity == p.Capacity.MANAGER


@rule("viewing.watch")
def _watch(user, session):
    """Footage streams only in an open session, to participants who confirmed (ACC-2, ACC-4)."""
    if not _is_session(session) or not session.is_open or not may_see(user, session.recording):
        return False
    p = _participant(user, session)
    return p is not None and p.confirmed
