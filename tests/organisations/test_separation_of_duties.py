"""ORG-4, ACC-1: nobody reaches footage on one person's word; every step is audited."""

from __future__ import annotations

import pytest

from kluis.core.permissions import can
from kluis.core.problems import NotAllowed
from kluis.custody.events import AuditEvent
from kluis.custody.models import AuditEntry
from kluis.organisations import actions
from kluis.organisations.models import Membership, ReportingLine, Role, RoleRequest, Team, User
from tests.factories import make_recording
from tests.login import log_in


def _events(org, *types):
    return list(
        AuditEntry.objects.filter(organisation=org, action__in=types).values_list(
            "action", flat=True
        )
    )


@pytest.mark.rule("ORG-4")
@pytest.mark.rule("ACC-1")
def test_an_administrator_cannot_give_herself_a_manager_role_and_watch_footage(
    client, make_org, make_person, stores
):
    from kluis.viewing import actions as viewing

    org = make_org()
    team = Team.objects.get(organisation=org)
    fa = make_person(org, Role.FUNCTIONAL_ADMIN)
    officer = make_person(org, Role.OFFICER, team=team.name)
    recording = make_recording(org, officer)
    log_in(client, fa)

    client.post(
        "/admin/organisations/membership/add/",
        {
            "organisation": org.pk,
            "user": fa.pk,
            "role": Role.MANAGER,
            "team": team.pk,
            "valid_from": "2020-01-01",
        },
    )
    client.post(
        "/admin/organisations/reportingline/add/",
        {
            "organisation": org.pk,
            "officer": officer.pk,
            "manager": fa.pk,
            "kind": "manager",
            "valid_from": "2020-01-01",
        },
    )

    assert not Membership.objects.filter(user=fa, role=Role.MANAGER).exists()
    assert not ReportingLine.objects.filter(manager=fa).exists()
    assert not RoleRequest.objects.filter(user=fa).exists()
    with pytest.raises(NotAllowed):
        viewing.start_session(fa, recording, purpose="complaint", managers=[fa])
    # Nor through the actions: no direct grant of a footage role by a person, no own request.
    with pytest.raises(NotAllowed):
        actions.grant_role(org, fa, Role.MANAGER, actor=fa)
    with pytest.raises(NotAllowed):
        actions.request_role(org, fa, Role.MANAGER, actor=fa)


@pytest.mark.rule("ORG-4")
def test_an_administrator_never_holds_a_footage_role_in_the_same_organisation(
    make_org, make_person
):
    org = make_org()
    fa = make_person(org, Role.FUNCTIONAL_ADMIN)
    other_fa = make_person(org, Role.FUNCTIONAL_ADMIN)
    privacy = make_person(org, Role.PRIVACY_OFFICER)
    # Refused at the request ...
    with pytest.raises(NotAllowed):
        actions.request_role(org, fa, Role.OFFICER, actor=other_fa)
    # ... and at the confirmation, when the person became an administrator in between.
    person = User.objects.create(username="later-admin")
    req = actions.request_role(org, person, Role.OFFICER, actor=other_fa)
    actions.grant_role(org, person, Role.FUNCTIONAL_ADMIN, actor=fa)
    with pytest.raises(NotAllowed):
        actions.confirm_request(req, actor=privacy)
    assert not Membership.objects.filter(user=person, role=Role.OFFICER).exists()
    # And the other way round: a footage role holder is not made an administrator.
    with pytest.raises(NotAllowed):
        actions.grant_role(org, privacy, Role.FUNCTIONAL_ADMIN, actor=fa)


@pytest.mark.rule("ACC-1")
def test_a_footage_role_takes_effect_only_when_a_second_person_confirms(
    client, make_org, make_person
):
    org = make_org()
    team = Team.objects.get(organisation=org)
    fa = make_person(org, Role.FUNCTIONAL_ADMIN)
    privacy = make_person(org, Role.PRIVACY_OFFICER)
    manager = make_person(org, Role.MANAGER, team=team.name)
    newcomer = actions.create_person(org, username="newcomer", actor=fa)

    officer_req = actions.request_role(org, newcomer, Role.OFFICER, team=team, actor=fa)
    manager_req = actions.request_role(org, newcomer, Role.DEPUTY_MANAGER, team=team, actor=fa)
    assert not Membership.objects.filter(user=newcomer).exists()

    # The requester does not confirm; the team's manager confirms an officer, not a manager.
    assert not can(fa, "organisations.confirm_request", officer_req)
    with pytest.raises(NotAllowed):
        actions.confirm_request(officer_req, actor=fa)
    assert can(manager, "organisations.confirm_request", officer_req)
    assert not can(manager, "organisations.confirm_request", manager_req)
    assert can(privacy, "organisations.confirm_request", manager_req)

    log_in(client, manager)
    page = client.get("/people/requests/")
    assert page.status_code == 200
    assert "newcomer" in page.content.decode()
    response = client.post(f"/people/requests/{officer_req.pk}/", {"decision": "confirm"})
    assert response.status_code == 302
    # The manager cannot confirm the deputy-manager request, not even by posting it.
    response = client.post(f"/people/requests/{manager_req.pk}/", {"decision": "confirm"})
    assert response.status_code == 403
    actions.refuse_request(manager_req, actor=privacy, reason="not needed")

    assert Membership.objects.filter(user=newcomer, role=Role.OFFICER, team=team).exists()
    assert not Membership.objects.filter(user=newcomer, role=Role.DEPUTY_MANAGER).exists()
    officer_req.refresh_from_db()
    assert officer_req.state == RoleRequest.State.CONFIRMED
    assert officer_req.decided_by == manager
    assert set(_events(org, *AuditEvent.__dict__.values())) >= {
        AuditEvent.PERSON_CREATED,
        AuditEvent.ROLE_REQUESTED,
        AuditEvent.ROLE_REQUEST_CONFIRMED,
        AuditEvent.ROLE_REQUEST_REFUSED,
        AuditEvent.ROLE_GRANTED,
    }


@pytest.mark.rule("ACC-1")
def test_a_reporting_line_needs_the_privacy_officer(make_org, make_person):
    org = make_org()
    team = Team.objects.get(organisation=org)
    fa = make_person(org, Role.FUNCTIONAL_ADMIN)
    privacy = make_person(org, Role.PRIVACY_OFFICER)
    manager = make_person(org, Role.MANAGER, team=team.name)
    officer = make_person(org, Role.OFFICER, team=team.name)
    with pytest.raises(NotAllowed):
        actions.assign_manager(org, officer=officer, manager=manager, actor=fa)
    req = actions.request_reporting_line(org, officer=officer, manager=manager, actor=fa)
    # The manager it is about does not confirm their own line.
    with pytest.raises(NotAllowed):
        actions.confirm_request(req, actor=manager)
    actions.confirm_request(req, actor=privacy)
    line = ReportingLine.objects.get(officer=officer, manager=manager)
    assert _events(org, AuditEvent.REPORTING_LINE_REQUESTED) == [
        AuditEvent.REPORTING_LINE_REQUESTED
    ]
    assert AuditEntry.objects.filter(
        action=AuditEvent.REPORTING_LINE_ADDED, object_id=str(line.pk), actor=privacy
    ).exists()
