"""Deny by default: every role against the staff pages and the player (ACC-1, ORG-4).

The finer roles of one organisation (a colleague, another team, another organisation) against
the web and viewing pages. Every URL of the resolver against every role of ORG-4 is in
test_url_matrix.py, which also fails for a URL nobody decided about.

One open session about the officer's recording: officer and manager confirmed, an invited
staff member not yet. Every request runs in a savepoint that is rolled back, so a request that
ends or changes the session does not change what the next one sees.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from kluis.core.permissions import can, registered
from kluis.viewing import actions
from tests.login import log_in

ROLES = [
    "officer", "manager", "deputy", "colleague", "other_team_officer", "other_team_manager",
    "invited_staff", "privacy_officer", "complaint_coordinator", "control_room",
    "functional_admin", "supplier", "other_org_officer", "other_org_manager", "anonymous",
]  # fmt: skip

EVERYONE = set(ROLES) - {"anonymous"}
FOOTAGE_ROLES = EVERYONE - {"functional_admin", "supplier"}
PARTICIPANTS = {"officer", "manager", "invited_staff"}
CONFIRMED = {"officer", "manager"}

# name: (method, url builder, who may use it, is it an API endpoint (403, not a redirect))
ENDPOINTS = {
    "home": ("get", lambda w, s: reverse("staff:home"), EVERYONE, False),
    "my recordings": (
        "get",
        lambda w, s: reverse("staff:my-recordings"),
        {"officer", "colleague", "other_team_officer", "other_org_officer"},
        False,
    ),
    "team's recordings": (
        "get",
        lambda w, s: reverse("staff:team-recordings"),
        {"manager", "deputy", "other_team_manager", "other_org_manager"},
        False,
    ),
    "recording page": (
        "get",
        lambda w, s: reverse("staff:recording", args=[w.recording.pk]),
        {"officer", "manager", "deputy", "invited_staff"},
        False,
    ),
    "my sessions": ("get", lambda w, s: reverse("viewing:mine"), FOOTAGE_ROLES, False),
    "start form": (
        "get",
        lambda w, s: reverse("viewing:start", args=[w.recording.pk]),
        {"officer", "manager", "deputy"},
        False,
    ),
    "start": (
        "post",
        lambda w, s: reverse("viewing:start", args=[w.recording.pk]),
        {"officer", "manager", "deputy"},
        False,
    ),
    "session page": (
        "get",
        lambda w, s: reverse("viewing:session", args=[s.pk]),
        PARTICIPANTS,
        False,
    ),
    "confirm": ("post", lambda w, s: reverse("viewing:confirm", args=[s.pk]), PARTICIPANTS, False),
    "co-sign": ("post", lambda w, s: reverse("viewing:cosign", args=[s.pk]), PARTICIPANTS, False),
    "invite": ("post", lambda w, s: reverse("viewing:invite", args=[s.pk]), {"manager"}, False),
    "end": ("post", lambda w, s: reverse("viewing:end", args=[s.pk]), PARTICIPANTS, False),
    "breach": ("post", lambda w, s: reverse("viewing:breach", args=[s.pk]), PARTICIPANTS, False),
    "watch": ("get", lambda w, s: reverse("viewing:watch", args=[s.pk]), CONFIRMED, False),
    "stream": ("get", lambda w, s: reverse("viewing:stream", args=[s.pk]), CONFIRMED, True),
    "events": ("post", lambda w, s: reverse("viewing:events", args=[s.pk]), CONFIRMED, True),
    "status": ("get", lambda w, s: reverse("viewing:status", args=[s.pk]), PARTICIPANTS, True),
}

BODIES = {
    "start": lambda w: {"purpose": "complaint", "managers": [str(w.deputy.pk)]},
    "co-sign": lambda w: {"participant": "0"},
    "invite": lambda w: {"person": str(w.complaint_coordinator.pk)},
    "breach": lambda w: {"description": "test"},
}


def _request(client, world, session, name):
    method, url, _allowed, api = ENDPOINTS[name]
    path = url(world, session)
    with transaction.atomic():
        if name == "events":
            r = client.post(path, {"event": "play", "position": 0}, content_type="application/json")
        elif method == "post":
            r = client.post(path, BODIES.get(name, lambda w: {})(world))
        else:
            r = client.get(path, headers={"Range": "bytes=0-99"})
        if getattr(r, "streaming", False):
            b"".join(r.streaming_content)
        transaction.set_rollback(True)
    return r


@pytest.mark.rule("ACC-1", "ORG-4")
def test_every_role_against_every_endpoint(client, world):
    """One world for all roles (building it is the slow part); every request is rolled back."""
    session = actions.start_session(
        world.officer,
        world.recording,
        purpose="complaint",
        managers=[world.manager],
    )
    actions.confirm(world.manager, session)
    actions.invite(world.manager, session, world.invited_staff)
    wrong = {}
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            log_in(client, getattr(world, role))
        for name, (_method, _url, allowed, api) in ENDPOINTS.items():
            r = _request(client, world, session, name)
            if role in allowed:
                ok = r.status_code not in (401, 403, 404) and not (
                    r.status_code == 302 and "/login/" in r["Location"]
                )
            elif role == "anonymous" and not api:
                ok = r.status_code == 302 and r["Location"].startswith(reverse("staff:login"))
            else:
                ok = r.status_code == 403
            if not ok:
                wrong[(role, name)] = r.status_code
    assert not wrong, wrong


@pytest.mark.rule("ORG-4")
@pytest.mark.parametrize("role", ["functional_admin", "supplier"])
def test_admin_and_supplier_hold_no_footage_permission(world, role):
    session = actions.start_session(
        world.officer, world.recording, purpose="complaint", managers=[world.manager]
    )
    actions.confirm(world.manager, session)
    user = getattr(world, role)
    for permission in registered():
        if permission.startswith(("viewing.", "staff.")):
            for obj in (world.recording, session):
                assert not can(user, permission, obj), permission
