"""One gate for every door: password + TOTP, an active person, then the permission helper.

Each attack that once got in is replayed here and must now be refused.
"""

from __future__ import annotations

import ast
import pathlib

import pytest
from django.urls import reverse

from tests.login import log_in

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "kluis"


def _password_only(client, user):
    """Logged in with the password, the TOTP code not given (yet)."""
    client.force_login(user)
    return client


@pytest.mark.rule("ACC-1")
@pytest.mark.parametrize(
    "name", ["recordings-api:custody-report", "recordings-api:custody-report-pdf"]
)
def test_custody_report_refuses_a_password_only_session(client, world, name):
    """The privacy officer's password alone once opened the custody report (HTML and PDF)."""
    url = reverse(name, args=[str(world.recording.pk)])
    _password_only(client, world.privacy_officer)
    refused = client.get(url)
    assert refused.status_code in (302, 401, 403), refused.status_code
    assert b"custody" not in refused.content.lower()
    client.logout()
    log_in(client, world.privacy_officer)
    assert client.get(url).status_code == 200


@pytest.mark.rule("ACC-1")
def test_the_player_endpoints_refuse_a_password_only_session_as_a_problem(client, world):
    """JSON endpoints answer with an RFC 9457 problem, not a login page."""
    from kluis.viewing import actions

    session = actions.start_session(
        world.officer, world.recording, purpose="complaint", managers=[world.manager]
    )
    _password_only(client, world.officer)
    response = client.get(reverse("viewing:status", args=[session.pk]))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 403


@pytest.mark.rule("ACC-1")
def test_an_inactive_person_with_a_verified_session_is_refused(client, world):
    log_in(client, world.privacy_officer)
    world.privacy_officer.is_active = False
    world.privacy_officer.save()
    url = reverse("recordings-api:custody-report", args=[str(world.recording.pk)])
    assert client.get(url).status_code in (302, 401, 403)


#: Modules that may ask `is_authenticated` themselves: the gate, the login flow, the permission
#: helper (deny by default for anyone not logged in) and the camera's own signature auth.
MAY_ASK_IS_AUTHENTICATED = {
    "core/gate.py",
    "staff/views.py",  # the login flow: login, code, TOTP setup (before the gate can pass)
    "staff/auth.py",
    "core/permissions.py",  # the registry: can() refuses anyone not logged in
    "organisations/permissions.py",  # scoped(): nothing for anyone not logged in
    "organisations/people.py",
    "devices/auth.py",
    "core/middleware.py",  # headers (no-store for a logged-in answer), not a gate
}


def test_no_view_checks_is_authenticated_itself():
    """Every door goes through kluis.core.gate; a view asking for itself is a second gate."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in MAY_ASK_IS_AUTHENTICATED or "/migrations/" in rel:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = (isinstance(node, ast.Attribute) and node.attr == "is_authenticated") or (
                isinstance(node, ast.Constant) and node.value == "is_authenticated"
            )
            if named:
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders


def test_login_views_ask_is_authenticated_only_in_the_login_flow():
    """In web/views.py only the login steps themselves may ask, before any gate can pass."""
    tree = ast.parse((SRC / "staff" / "views.py").read_text(encoding="utf-8"))
    login_flow = ("login", "logout", "totp", "activat", "recover")  # the steps, by name
    offenders = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if fn.name.lstrip("_").startswith(login_flow):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Attribute) and node.attr == "is_authenticated":
                offenders.append(f"{fn.name}:{node.lineno}")
    assert not offenders, offenders


def test_may_see_footage_is_answered_in_one_place():
    """ORG-4's "may this role see footage" is asked of kluis.organisations.people, not re-derived
    from NO_FOOTAGE_ROLES in each app."""
    allowed = ("organisations/models/", "organisations/people.py", "organisations/actions")
    offenders = [
        path.relative_to(SRC).as_posix()
        for path in sorted(SRC.rglob("*.py"))
        if not path.relative_to(SRC).as_posix().startswith(allowed)
        and "NO_FOOTAGE_ROLES" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders


def test_the_api_default_permission_is_the_gate(settings):
    """Every DRF view that states no permission of its own asks the gate."""
    assert settings.REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] == [
        "kluis.core.gate.IsVerifiedPerson"
    ]
