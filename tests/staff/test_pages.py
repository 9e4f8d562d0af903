"""What each role sees: officers their recordings, managers their team's, admins no footage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kluis.core import clock
from kluis.viewing import actions
from tests.login import log_in


def page(client, name, *args):
    r = client.get(reverse(name, args=args))
    return r.status_code, r.content.decode()


def test_officer_sees_own_recordings_and_what_they_need(client, world):
    log_in(client, world.officer)
    status, html = page(client, "staff:my-recordings")
    assert status == 200
    assert reverse("staff:recording", args=[world.recording.pk]) in html
    log_in(client, world.colleague)
    status, html = page(client, "staff:my-recordings")
    assert reverse("staff:recording", args=[world.recording.pk]) not in html


def test_manager_sees_the_teams_recordings_and_what_is_due(client, world):
    log_in(client, world.manager)
    status, html = page(client, "staff:team-recordings")
    assert status == 200
    link = reverse("staff:recording", args=[world.recording.pk])
    assert html.count(link) == 1  # in the full list, not yet due
    clock.advance(world.recording.retention_until - clock.now() - dt.timedelta(days=2))
    status, html = page(client, "staff:team-recordings")
    assert html.count(link) == 2  # now also due for deletion
    log_in(client, world.other_team_manager)
    status, html = page(client, "staff:team-recordings")
    assert link not in html


@pytest.mark.rule("ORG-4")
@pytest.mark.parametrize("who", ["functional_admin", "supplier"])
def test_admin_and_supplier_home_shows_no_footage(client, world, who):
    log_in(client, getattr(world, who))
    status, html = page(client, "staff:home")
    assert status == 200
    assert reverse("staff:my-recordings") not in html
    assert reverse("viewing:mine") not in html.split("<main")[1]


def test_recording_page_shows_metadata_deletion_date_and_custody(client, world):
    log_in(client, world.officer)
    status, html = page(client, "staff:recording", world.recording.pk)
    assert status == 200
    assert world.recording.sha256 in html
    assert world.camera.serial in html
    assert reverse("viewing:start", args=[world.recording.pk]) in html


def test_home_lists_viewings_waiting_for_confirmation(client, world):
    session = actions.start_session(
        world.officer, world.recording, purpose="complaint", managers=[world.manager]
    )
    log_in(client, world.manager)
    status, html = page(client, "staff:home")
    assert reverse("viewing:session", args=[session.pk]) in html


def test_start_session_through_the_form(client, world):
    log_in(client, world.officer)
    url = reverse("viewing:start", args=[world.recording.pk])
    status, html = page(client, "viewing:start", world.recording.pk)
    assert status == 200
    assert 'value="learning"' in html  # H2O allows learning on the officer's initiative
    r = client.post(url, {"purpose": "complaint", "managers": [str(world.manager.pk)]})
    assert r.status_code == 302
    r = client.post(url, {"purpose": "complaint"})
    assert r.status_code == 400  # without the manager (ACC-2)
    log_in(client, world.manager)
    status, html = page(client, "viewing:start", world.recording.pk)
    assert 'value="learning"' not in html  # not the manager's initiative
    assert "invited" in html or str(world.invited_staff) in html


@pytest.mark.rule("ACC-2")
def test_co_sign_on_the_same_screen(client, world):
    from tests.login import PASSWORD, code_for

    session = actions.start_session(
        world.officer, world.recording, purpose="complaint", managers=[world.manager]
    )
    p = session.participants.get(user=world.manager)
    log_in(client, world.officer)
    url = reverse("viewing:cosign", args=[session.pk])
    r = client.post(
        url,
        {
            "participant": p.pk,
            f"p{p.pk}-password": "wrong",
            f"p{p.pk}-code": code_for(world.manager),
        },
    )
    assert r.status_code == 302
    session.refresh_from_db()
    assert session.state == "pending"
    r = client.post(
        url,
        {
            "participant": p.pk,
            f"p{p.pk}-password": PASSWORD,
            f"p{p.pk}-code": code_for(world.manager, offset_steps=1),
        },
    )
    session.refresh_from_db()
    assert session.state == "open"
    p.refresh_from_db()
    assert p.confirmed_how == "co_sign" and p.confirmed_on_screen_of == world.officer
    status, html = page(client, "viewing:watch", session.pk)
    assert status == 200
    assert 'controlslist="nodownload' in html
    assert str(world.manager) in html and str(world.officer) in html  # names over the picture


def test_join_from_own_login(client, world):
    session = actions.start_session(
        world.officer, world.recording, purpose="complaint", managers=[world.manager]
    )
    log_in(client, world.manager)
    r = client.post(reverse("viewing:confirm", args=[session.pk]))
    assert r.status_code == 302
    session.refresh_from_db()
    assert session.state == "open"


def test_end_and_breach_through_the_page(client, world):
    session = actions.start_session(
        world.officer, world.recording, purpose="complaint", managers=[world.manager]
    )
    actions.confirm(world.manager, session)
    log_in(client, world.officer)
    r = client.post(reverse("viewing:breach", args=[session.pk]), {"description": "photo"})
    assert r.status_code == 302
    session.refresh_from_db()
    assert session.state == "breached"
    status, html = page(client, "viewing:session", session.pk)
    assert status == 200
    assert page(client, "viewing:watch", session.pk)[0] == 403


@pytest.mark.rule("RET-2")
def test_holds_show_on_the_recording_and_keep_it_off_the_due_list(client, world):
    from kluis.retention import actions as retention

    retention.place_hold(world.recording, reason="complaint", case_reference="K-2026-9")
    log_in(client, world.manager)
    status, html = page(client, "staff:recording", world.recording.pk)
    assert "K-2026-9" in html
    clock.advance(world.recording.retention_until - clock.now() - dt.timedelta(days=2))
    status, html = page(client, "staff:team-recordings")
    link = reverse("staff:recording", args=[world.recording.pk])
    assert html.count(link) == 1  # listed, but not as due for deletion: the hold keeps it


@pytest.mark.rule("RPT-1")
def test_a_missing_report_links_the_officer_to_its_form(client, world):
    form = reverse("reports:file", args=[world.recording.pk])
    log_in(client, world.officer)
    assert form in page(client, "staff:my-recordings")[1]
    assert form in page(client, "staff:recording", world.recording.pk)[1]
    log_in(client, world.manager)
    html = page(client, "staff:team-recordings")[1]
    assert "Incident report missing" in html or "ontbreekt" in html
    assert form not in html  # the manager is told, but the report is the officer's to file
