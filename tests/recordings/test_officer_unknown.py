"""A recording from a camera without an assigned shift goes to its team's managers (not lost)."""

from __future__ import annotations

import os

import pytest

from kluis.core.problems import NotAllowed
from kluis.custody.events import AuditEvent
from kluis.custody.models import AuditEntry
from kluis.organisations.models import Role
from kluis.recordings import actions
from kluis.recordings.actions import OfficerNotAssignable
from kluis.recordings.models import Recording
from kluis.staff import queries
from tests.factories import make_person
from tests.login import log_in


@pytest.fixture
def unassigned(enrol, footage_store):
    off, camera, org = enrol()
    rid, data = camera.seal(os.urandom(20_000))
    assert off.upload(rid, data)[1]["state"] == "complete"
    rec = Recording.objects.get(pk=rid)
    assert rec.officer_id is None
    return rec, org


@pytest.mark.rule("ORG-4")
def test_a_recording_without_an_officer_is_in_its_team_managers_list(unassigned, client):
    rec, org = unassigned
    team = rec.team.name
    manager = make_person(org, Role.MANAGER, team=team)
    other_manager = make_person(org, Role.MANAGER)  # no team: not this camera's manager
    officer = make_person(org, Role.OFFICER, team=team)

    assert rec in queries.team_recordings(manager)
    assert rec not in queries.team_recordings(other_manager)
    needs = [str(n) for n in queries.needs(rec)]
    assert any("Officer unknown" in n or "onbekend" in n.lower() for n in needs), needs

    log_in(client, manager)
    page = client.get(f"/recordings/assign/{rec.pk}/")
    assert page.status_code == 200
    response = client.post(f"/recordings/assign/{rec.pk}/", {"officer": str(officer.pk)})
    assert response.status_code == 302, response.content[:500]
    rec.refresh_from_db()
    assert rec.officer == officer
    assert rec in queries.my_recordings(officer)
    entry = AuditEntry.objects.get(action=AuditEvent.RECORDING_OFFICER_ASSIGNED)
    assert entry.actor == manager and entry.recording_id == str(rec.pk)
    # Once named, nobody renames it here.
    with pytest.raises(NotAllowed):
        actions.assign_officer(manager, rec, officer)


@pytest.mark.rule("ORG-4")
def test_only_the_team_manager_assigns_and_never_themselves(unassigned, client):
    rec, org = unassigned
    team = rec.team.name
    manager = make_person(org, Role.MANAGER, team=team)
    officer = make_person(org, Role.OFFICER, team=team)
    stranger = make_person(org, Role.MANAGER)
    with pytest.raises(NotAllowed):
        actions.assign_officer(officer, rec, officer)
    with pytest.raises(NotAllowed):
        actions.assign_officer(stranger, rec, officer)
    with pytest.raises(OfficerNotAssignable):
        actions.assign_officer(manager, rec, manager)
    log_in(client, stranger)
    assert client.get(f"/recordings/assign/{rec.pk}/").status_code == 403
    assert not AuditEntry.objects.filter(action=AuditEvent.RECORDING_OFFICER_ASSIGNED).exists()
