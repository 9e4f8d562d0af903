"""The staff API: thin views over the actions, scoped to the person's organisations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.dateparse import parse_datetime

from kluis.core import clock
from kluis.retention.models import MassDeletionRequest
from kluis.retention.purge import purge
from tests.login import log_in
from tests.retention.helpers import assert_gone

DAY = dt.timedelta(days=1)


def as_(client, user):
    log_in(client, user)
    return client


@pytest.mark.rule("RET-2", "RET-3")
def test_hold_status_and_release(world, client):
    rec = world.record()
    c = as_(client, world.coordinator)
    r = c.post(
        f"/api/v1/retention/recordings/{rec.pk}/holds/",
        {"reason": "complaint", "case_reference": "K-1"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    hold_id = r.json()["id"]
    body = c.get(f"/api/v1/retention/recordings/{rec.pk}/").json()
    assert body["deletion_due"] is None and body["holds"][0]["case_reference"] == "K-1"
    r = c.post(f"/api/v1/retention/holds/{hold_id}/release/", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["released_at"]
    body = c.get(f"/api/v1/retention/recordings/{rec.pk}/").json()
    assert parse_datetime(body["deletion_due"]) == rec.retention_until
    assert body["deletion_due"].endswith("Z")  # moments in UTC, as the camera API gives them


@pytest.mark.rule("ORG-1")
def test_other_organisations_see_nothing(world, client):
    rec = world.record()
    c = as_(client, world.outsider)
    assert c.get(f"/api/v1/retention/recordings/{rec.pk}/").status_code == 404
    r = c.post(
        f"/api/v1/retention/recordings/{rec.pk}/holds/",
        {"reason": "complaint", "case_reference": "K"},
        content_type="application/json",
    )
    assert r.status_code == 404
    assert r["Content-Type"] == "application/problem+json"


def test_anonymous_is_refused(world, client):
    rec = world.record()
    assert client.get(f"/api/v1/retention/recordings/{rec.pk}/").status_code in (401, 403)


@pytest.mark.rule("RET-5")
def test_joint_decision_over_the_api(world, client):
    rec = world.record()
    r = as_(client, world.officer).post(
        f"/api/v1/retention/recordings/{rec.pk}/decisions/",
        {"kind": "delete", "reason": "recorded by mistake"},
        content_type="application/json",
    )
    assert r.status_code == 201
    decision = r.json()["id"]
    r = client.post(f"/api/v1/retention/decisions/{decision}/approve/")
    assert r.status_code == 403  # the officer cannot approve twice
    r = as_(client, world.manager).post(
        f"/api/v1/retention/decisions/{decision}/advice/",
        {"advice": "no objection", "privacy_officer": str(world.privacy.pk)},
        content_type="application/json",
    )
    assert r.status_code == 200
    r = client.post(f"/api/v1/retention/decisions/{decision}/approve/")
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert purge().deleted == 1
    assert_gone(rec)


def test_the_brake_is_released_over_the_api(world, client, settings):
    settings.RETENTION_BRAKE_MINIMUM = 2
    for _ in range(3):
        world.record()
    clock.advance(29 * DAY)
    assert purge().braked
    request = MassDeletionRequest.objects.get()
    assert as_(client, world.officer).get("/api/v1/retention/mass-deletions/").json() == []
    listed = as_(client, world.admin).get("/api/v1/retention/mass-deletions/").json()
    assert [r["due_count"] for r in listed] == [3]
    url = f"/api/v1/retention/mass-deletions/{request.pk}/confirm/"
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 403  # not twice by the same person
    assert as_(client, world.manager).post(url).json()["state"] == "confirmed"
    assert purge().deleted == 3


def test_policy_preview(world, client):
    world.record(clock.now() - 20 * DAY)
    c = as_(client, world.admin)
    r = c.post(
        "/api/v1/retention/policy-preview/",
        {"organisation": world.org.slug, "retention_days": 14},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["newly_due"] == 1
    r = as_(client, world.manager).post(
        "/api/v1/retention/policy-preview/",
        {"organisation": world.org.slug, "retention_days": 14},
        content_type="application/json",
    )
    assert r.status_code == 403


@pytest.mark.rule("ORG-1", "ORG-4")
def test_admin_lists_holds_of_its_own_organisation_read_only(world, client):
    from kluis.organisations.models import Role
    from kluis.retention import actions
    from tests.factories import make_organisation, make_person

    rec = world.record()
    actions.place_hold(rec, reason="complaint", case_reference="K-ADMIN-1", actor=world.manager)
    page = as_(client, world.admin).get("/admin/retention/hold/")
    assert page.status_code == 200 and b"K-ADMIN-1" in page.content
    hold_id = rec.holds.get().pk
    assert client.post(f"/admin/retention/hold/{hold_id}/change/", {}).status_code == 403
    stranger = make_person(make_organisation(), Role.FUNCTIONAL_ADMIN)
    page = as_(client, stranger).get("/admin/retention/hold/")
    assert page.status_code == 200 and b"K-ADMIN-1" not in page.content


@pytest.mark.rule("ORG-4")
def test_staff_api_refuses_a_session_without_second_factor(world, client):
    """A password alone (a person still setting up TOTP) reaches no staff endpoint."""
    rec = world.record()
    client.force_login(world.manager)
    assert client.get(f"/api/v1/retention/recordings/{rec.pk}/").status_code in (401, 403)
    log_in(client, world.manager)
    assert client.get(f"/api/v1/retention/recordings/{rec.pk}/").status_code == 200
