"""Every change to a viewing session, each with its audit entry in the same transaction.

The views, and anything else, call these; nothing else writes sessions or participants.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.permissions import can, require
from kluis.core.problems import Conflict, KluisError, NotAllowed
from kluis.custody.log import record
from kluis.organisations.models import Policy, User
from kluis.organisations.people import footage_people_ids, may_see_footage

from .access import managers_for
from .models import Participant, ViewingSession

PLAYBACK_EVENTS = ("play", "pause", "seeked", "ended")


def _audit(session, actor, action, **details):
    details.setdefault("recording_id", str(session.recording_id))
    details.setdefault("session", str(session.pk))
    return record(
        organisation=session.organisation,
        actor=actor,
        action=action,
        obj=session,
        purpose=session.purpose,
        details=details,
    )


def _lock(session) -> ViewingSession:
    """The session re-read under a row lock, so two confirmations or an end cannot cross."""
    return ViewingSession.objects.select_for_update().select_related("recording").get(pk=session.pk)


def learning_allowed(recording) -> bool:
    return recording.organisation.policy.learning_purpose != Policy.LearningPurpose.NOT_ALLOWED


def eligible_invitees(recording, exclude=()):
    """Staff of the recording's organisation who may see footage at all (ORG-4)."""
    ids = footage_people_ids(recording.organisation)
    return (
        User.objects.filter(id__in=ids, is_active=True)
        .exclude(id__in=[u.pk for u in exclude])
        .order_by("last_name", "first_name", "username")
    )


@transaction.atomic
def start_session(
    actor,
    recording,
    *,
    purpose: str,
    managers=(),
    invited=(),
    case_reference: str = "",
) -> ViewingSession:
    """Name a session's purpose and participants; the starter is confirmed at once (own login).

    ACC-2: the involved officer and at least one of their managers or deputies are always
    participants. ACC-3: the purpose is one of four, and learning only when the policy allows
    it and the involved officer starts it. ACC-1: only the manager or deputy invites others.
    """
    require(actor, "viewing.start", recording, _("You may not start a viewing of this recording."))
    if purpose not in ViewingSession.Purpose.values:
        raise KluisError(_("Choose the purpose of the viewing."), code="purpose-missing")
    officer = recording.officer
    allowed_managers = managers_for(recording)
    allowed_ids = {m.pk for m in allowed_managers}
    actor_is_manager = actor.pk in allowed_ids
    if purpose == ViewingSession.Purpose.LEARNING:
        if not learning_allowed(recording):
            raise NotAllowed(
                _("The policy of this organisation does not allow viewing for learning."),
                code="learning-not-allowed",
            )
        if actor.pk != officer.pk:
            raise NotAllowed(
                _("Viewing for learning happens only on the involved officer's initiative."),
                code="learning-officer-only",
            )
    chosen = {m.pk: m for m in managers}
    if actor_is_manager:
        chosen[actor.pk] = actor
    stray = set(chosen) - allowed_ids
    if stray:
        raise NotAllowed(
            _("Only the involved officer's own manager or deputy can take part as manager."),
            code="not-the-manager",
        )
    if not chosen:
        raise KluisError(
            _(
                "A viewing needs the involved officer and their manager or deputy together "
                "(four eyes). Choose the manager or deputy who takes part."
            ),
            code="manager-missing",
        )
    invited = list({u.pk: u for u in invited}.values())
    if invited and not actor_is_manager:
        raise NotAllowed(
            _("Only the officer's manager or deputy invites other staff."), code="invite-manager"
        )
    for person in invited:
        _check_invitee(recording, person, taken={officer.pk, *chosen})

    moment = now()
    session = ViewingSession.objects.create(
        organisation=recording.organisation,
        recording=recording,
        purpose=purpose,
        case_reference=case_reference.strip()[:100],
        officer=officer,
        started_by=actor,
        created_at=moment,
    )
    people = [(officer, Participant.Capacity.OFFICER, None)]
    people += [(m, Participant.Capacity.MANAGER, None) for m in chosen.values()]
    people += [(u, Participant.Capacity.INVITED, actor) for u in invited]
    for user, capacity, inviter in people:
        Participant.objects.create(
            session=session, user=user, capacity=capacity, invited_by=inviter
        )
    _audit(
        session,
        actor,
        "viewing.session_started",
        case_reference=session.case_reference,
        participants=[
            {"user": str(u.pk), "name": str(u), "capacity": str(c)} for u, c, _i in people
        ],
    )
    _confirm(session, session.participants.get(user=actor), how=Participant.How.OWN_LOGIN)
    return session


def _check_invitee(recording, person, taken):
    if person.pk in taken:
        raise KluisError(_("%(name)s already takes part.") % {"name": person}, code="duplicate")
    if not person.is_active or not may_see_footage(person, recording.organisation):
        raise NotAllowed(
            _("%(name)s cannot be invited: they may not see footage of this organisation.")
            % {"name": person},
            code="invitee-not-allowed",
        )


@transaction.atomic
def invite(actor, session, person) -> Participant:
    """The manager or deputy in the session adds a staff member before or during it (ACC-1)."""
    session = _lock(session)
    require(actor, "viewing.invite", session, _("Only the manager or deputy invites staff."))
    taken = set(session.participants.values_list("user_id", flat=True))
    _check_invitee(session.recording, person, taken)
    participant = Participant.objects.create(
        session=session, user=person, capacity=Participant.Capacity.INVITED, invited_by=actor
    )
    _audit(session, actor, "viewing.participant_invited", user=str(person.pk), name=str(person))
    return participant


def _confirm(session, participant, *, how, on_screen_of=None):
    participant.confirmed_at = now()
    participant.confirmed_how = how
    participant.confirmed_on_screen_of = on_screen_of
    participant.save(update_fields=["confirmed_at", "confirmed_how", "confirmed_on_screen_of"])
    _audit(
        session,
        participant.user,
        "viewing.participant_confirmed",
        how=how,
        capacity=participant.capacity,
        on_screen_of=str(on_screen_of.pk) if on_screen_of else None,
    )
    _open_if_ready(session)


def _open_if_ready(session):
    """ACC-2: open once the involved officer and a manager or deputy have both confirmed."""
    if session.state != ViewingSession.State.PENDING:
        return
    confirmed = session.participants.filter(confirmed_at__isnull=False)
    officer_ok = confirmed.filter(
        capacity=Participant.Capacity.OFFICER, user=session.officer
    ).exists()
    manager_ok = confirmed.filter(capacity=Participant.Capacity.MANAGER).exists()
    people = confirmed.values("user").distinct().count()
    if not (officer_ok and manager_ok and people >= 2):
        return
    moment = now()
    session.state = ViewingSession.State.OPEN
    session.opened_at = moment
    session.expires_at = moment + dt.timedelta(minutes=settings.VIEWING_SESSION_MINUTES)
    session.save(update_fields=["state", "opened_at", "expires_at"])
    _audit(
        session,
        None,
        "viewing.session_opened",
        confirmed=[str(u) for u in confirmed.values_list("user_id", flat=True)],
        closes_at=session.expires_at,
    )


@transaction.atomic
def confirm(actor, session, *, person=None) -> ViewingSession:
    """A participant confirms: `actor` for themselves (own login), or `person` co-signing.

    Co-signing: `person` has just given their own password and TOTP code on `actor`'s screen
    (the view checks both); the entry names both people.
    """
    session = _lock(session)
    require(actor, "viewing.take_part", session, _("You do not take part in this viewing."))
    who = person or actor
    if session.is_finished:
        raise Conflict(_("This viewing has ended."), code="session-ended")
    participant = session.participants.filter(user=who).first()
    if participant is None or not may_see_footage(who, session.organisation):
        raise NotAllowed(_("This person does not take part in this viewing."))
    if participant.confirmed:
        raise Conflict(
            _("%(name)s has already confirmed.") % {"name": who}, code="already-confirmed"
        )
    how = Participant.How.CO_SIGN if person is not None else Participant.How.OWN_LOGIN
    _confirm(session, participant, how=how, on_screen_of=actor if person is not None else None)
    return session


def _finish(session, actor, state, reason, action, **details):
    session.state = state
    session.end_reason = reason
    session.ended_at = now()
    session.ended_by = actor
    session.save(update_fields=["state", "end_reason", "ended_at", "ended_by", "breach_report"])
    _audit(session, actor, action, reason=reason, **details)


@transaction.atomic
def end_session(actor, session) -> ViewingSession:
    """Any participant ends the session; the stream refuses from this moment (ACC-4)."""
    session = _lock(session)
    require(actor, "viewing.take_part", session, _("You do not take part in this viewing."))
    if session.is_finished:
        return session
    _finish(
        session, actor, ViewingSession.State.ENDED, ViewingSession.EndReason.ENDED, "viewing.ended"
    )
    return session


@transaction.atomic
def report_breach(actor, session, description: str) -> ViewingSession:
    """A participant reports a breach (a photo, a recording, someone watching along): the
    session ends at once and the report is kept with it (ACC-4)."""
    session = _lock(session)
    require(actor, "viewing.take_part", session, _("You do not take part in this viewing."))
    description = (description or "").strip()
    if not description:
        raise KluisError(_("Describe what happened."), code="breach-description")
    session.breach_report = (session.breach_report + "\n\n" + description).strip()
    if session.is_finished:
        session.save(update_fields=["breach_report"])
        _audit(session, actor, "viewing.breach_reported", description=description, late=True)
        return session
    _finish(
        session,
        actor,
        ViewingSession.State.BREACHED,
        ViewingSession.EndReason.BREACH,
        "viewing.breach_reported",
        description=description,
    )
    return session


@transaction.atomic
def expire_if_due(session) -> ViewingSession:
    """Close an open session whose time ran out, with its entry (called when it is looked at)."""
    if session.state != ViewingSession.State.OPEN or session.is_open:
        return session
    session = _lock(session)
    if session.state == ViewingSession.State.OPEN and not session.is_open:
        _finish(
            session,
            None,
            ViewingSession.State.ENDED,
            ViewingSession.EndReason.EXPIRED,
            "viewing.expired",
        )
    return session


@transaction.atomic
def record_playback(actor, session, event: str, position: float | None) -> None:
    """AUD-1: every play, pause and seek by a participant is in the audit trail."""
    require(actor, "viewing.watch", session, _("This viewing is not open for you."))
    if event not in PLAYBACK_EVENTS:
        raise KluisError(_("Unknown player event."), code="event-unknown")
    if position is not None and not (0 <= position < 10**7):
        raise KluisError(_("The position is not valid."), code="position-invalid")
    _audit(
        session,
        actor,
        f"viewing.playback.{event}",
        position=None if position is None else round(position, 3),
    )


@transaction.atomic
def note_stream_opened(actor, session) -> None:
    """The first footage a participant receives is recorded, even if no player event follows
    (a client that fetches the stream without the page's player still leaves a trace)."""
    participant = (
        Participant.objects.select_for_update().filter(session=session, user=actor).first()
    )
    if participant is None or participant.first_streamed_at is not None:
        return
    participant.first_streamed_at = now()
    participant.save(update_fields=["first_streamed_at"])
    _audit(session, actor, "viewing.stream_opened")


def may_watch(user, session) -> bool:
    return can(user, "viewing.watch", session)
