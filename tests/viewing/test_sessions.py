"""Four-eyes viewing sessions: who may take part, when a session opens, and how it ends."""

from __future__ import annotations

import pytest

from kluis.core.problems import KluisError, NotAllowed
from kluis.custody.models import AuditEntry
from kluis.viewing import actions
from kluis.viewing.models import ViewingSession

P = ViewingSession.Purpose


def start(world, actor=None, **kw):
    kw.setdefault("purpose", P.COMPLAINT)
    kw.setdefault("managers", [world.manager])
    return actions.start_session(actor or world.officer, world.recording, **kw)


@pytest.mark.rule("ACC-2")
def test_session_opens_only_when_officer_and_manager_both_confirmed(world):
    session = start(world)
    assert session.state == ViewingSession.State.PENDING  # the officer alone: not open
    assert not actions.may_watch(world.officer, session)
    actions.confirm(world.manager, session)
    session.refresh_from_db()
    assert session.state == ViewingSession.State.OPEN
    assert actions.may_watch(world.officer, session)
    assert actions.may_watch(world.manager, session)


@pytest.mark.rule("ACC-2")
def test_deputy_may_stand_in_for_the_manager(world):
    session = start(world, actor=world.deputy, managers=[])
    assert session.participants.get(user=world.deputy).capacity == "manager"
    actions.confirm(world.officer, session)
    session.refresh_from_db()
    assert session.is_open


@pytest.mark.rule("ACC-2")
def test_a_session_without_the_manager_is_refused(world):
    with pytest.raises(KluisError) as exc:
        start(world, managers=[])
    assert exc.value.code == "manager-missing"
    assert not ViewingSession.objects.exists()


@pytest.mark.rule("ACC-2")
def test_invited_staff_and_officer_without_manager_do_not_open(world):
    session = start(world, actor=world.manager, managers=[], invited=[world.invited_staff])
    actions.confirm(world.invited_staff, session)
    session.refresh_from_db()
    assert session.state == ViewingSession.State.PENDING  # manager + invited: no officer yet
    assert not actions.may_watch(world.invited_staff, session)
    actions.confirm(world.officer, session)
    session.refresh_from_db()
    assert session.is_open
    assert actions.may_watch(world.invited_staff, session)


OUTSIDERS = [
    "colleague",
    "other_team_manager",
    "other_team_officer",
    "invited_staff",
    "privacy_officer",
    "functional_admin",
    "supplier",
    "other_org_manager",
]


@pytest.mark.rule("ACC-1", "ORG-4")
def test_outsiders_cannot_start_a_session(world):
    for who in OUTSIDERS:
        with pytest.raises(NotAllowed):
            start(world, actor=getattr(world, who), managers=[])


@pytest.mark.rule("ACC-1")
def test_only_the_officers_own_manager_takes_part_as_manager(world):
    for who in ("other_team_manager", "other_org_manager", "colleague"):
        with pytest.raises(NotAllowed):
            start(world, managers=[getattr(world, who)])


@pytest.mark.rule("ACC-1", "ORG-4")
def test_admins_suppliers_and_other_organisations_cannot_be_invited(world):
    for who in ("functional_admin", "supplier", "other_org_officer"):
        with pytest.raises(NotAllowed):
            start(world, actor=world.manager, managers=[], invited=[getattr(world, who)])


@pytest.mark.rule("ACC-1")
def test_only_the_manager_invites(world):
    with pytest.raises(NotAllowed):
        start(world, invited=[world.invited_staff])
    session = start(world)
    with pytest.raises(NotAllowed):
        actions.invite(world.officer, session, world.invited_staff)
    actions.invite(world.manager, session, world.invited_staff)
    assert session.participants.filter(user=world.invited_staff, capacity="invited").exists()


@pytest.mark.rule("ACC-1")
def test_outsiders_cannot_confirm_or_join(world):
    session = start(world)
    for who in (
        "colleague",
        "other_team_manager",
        "functional_admin",
        "supplier",
        "other_org_manager",
    ):
        with pytest.raises(NotAllowed):
            actions.confirm(getattr(world, who), session)
    session.refresh_from_db()
    assert session.state == ViewingSession.State.PENDING


@pytest.mark.rule("ACC-3")
def test_learning_only_on_the_officers_initiative_and_when_policy_allows(world):
    with pytest.raises(NotAllowed) as exc:
        start(world, actor=world.manager, purpose=P.LEARNING, managers=[])
    assert exc.value.code == "learning-officer-only"
    session = start(world, purpose=P.LEARNING)  # H2O: on the officer's initiative
    assert session.purpose == P.LEARNING
    policy = world.org.policy
    policy.learning_purpose = "not_allowed"
    policy.save()
    world.recording.organisation.refresh_from_db()
    from kluis.recordings.models import Recording

    recording = Recording.objects.get(pk=world.recording.pk)
    with pytest.raises(NotAllowed) as exc:
        actions.start_session(
            world.officer, recording, purpose=P.LEARNING, managers=[world.manager]
        )
    assert exc.value.code == "learning-not-allowed"


@pytest.mark.rule("ACC-3")
def test_a_purpose_is_required(world):
    with pytest.raises(KluisError):
        start(world, purpose="curiosity")


@pytest.mark.rule("ACC-4")
def test_any_participant_ends_the_session(world):
    session = start(world)
    actions.confirm(world.manager, session)
    actions.end_session(world.officer, session)
    session.refresh_from_db()
    assert session.state == ViewingSession.State.ENDED
    assert not actions.may_watch(world.manager, session)
    with pytest.raises(KluisError):
        actions.confirm(world.manager, session)


@pytest.mark.rule("ACC-4")
def test_a_breach_report_stops_the_session_at_once(world):
    session = start(world)
    actions.confirm(world.manager, session)
    actions.report_breach(world.manager, session, "Someone filmed the screen with a phone.")
    session.refresh_from_db()
    assert session.state == ViewingSession.State.BREACHED
    assert "phone" in session.breach_report
    assert not actions.may_watch(world.officer, session)
    entry = AuditEntry.objects.get(action="viewing.breach_reported")
    assert entry.actor == world.manager


@pytest.mark.rule("ACC-2")
def test_an_open_session_closes_when_its_time_runs_out(world, settings):
    import datetime as dt

    from kluis.core import clock

    session = start(world)
    actions.confirm(world.manager, session)
    clock.advance(dt.timedelta(minutes=settings.VIEWING_SESSION_MINUTES + 1))
    session.refresh_from_db()
    assert not actions.may_watch(world.officer, session)
    session = actions.expire_if_due(session)
    assert session.state == ViewingSession.State.ENDED
    assert session.end_reason == "expired"


@pytest.mark.rule("AUD-1")
def test_every_step_of_a_session_is_in_the_audit_trail(world):
    session = start(world, case_reference="K-2026-17")
    actions.confirm(world.manager, session)
    actions.end_session(world.manager, session)
    actions_logged = list(
        AuditEntry.objects.filter(object_id=str(session.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions_logged == [
        "viewing.session_started",
        "viewing.participant_confirmed",
        "viewing.participant_confirmed",
        "viewing.session_opened",
        "viewing.ended",
    ]
    assert all(
        e.recording_id == str(world.recording.pk)
        for e in AuditEntry.objects.filter(object_id=str(session.pk))
    )
