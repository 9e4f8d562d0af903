"""The role x URL matrix, generated from the URL resolver (ACC-1, ORG-4, ORG-1).

Every URL pattern Kluis serves is walked against every role of ORG-4, an anonymous visitor, a
password-only session (logged in, no TOTP code yet) and a manager of another organisation, and
the answer is compared with the expectation in `EXPECTED` below. A pattern without an
expectation fails the test: whoever adds a URL decides here who may use it.

Outcomes: "login" (a redirect to a login step), "denied" (401/403), "missing" (404) and "ok"
(anything else below 500: a page, a 204, a form error, a redirect elsewhere). A 500 is always
wrong. The admin's patterns are one class of their own (`ADMIN`), walked the same way.

One world is built for all requests (that is the slow part); every request runs in a savepoint
that is rolled back, so a request that ends a session does not change what the next one sees.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kluis.organisations.models import Role
from tests.login import log_in

#: The roles of ORG-4, each as the person of the world who holds it.
ROLE_PEOPLE = {
    Role.OFFICER: "officer",
    Role.MANAGER: "manager",
    Role.DEPUTY_MANAGER: "deputy",
    Role.INVITED_STAFF: "invited_staff",
    Role.PRIVACY_OFFICER: "privacy_officer",
    Role.COMPLAINT_COORDINATOR: "complaint_coordinator",
    Role.CONTROL_ROOM: "control_room",
    Role.FUNCTIONAL_ADMIN: "functional_admin",
    Role.SUPPLIER: "supplier",
}
ANONYMOUS = "anonymous"
#: The involved officer's manager, who may do the most, with the password but no code.
PASSWORD_ONLY = "password_only"
#: A manager of another organisation (ORG-1): by default refused like anyone not named.
OTHER_ORG = "other_org_manager"
WHO = [*ROLE_PEOPLE, ANONYMOUS, PASSWORD_ONLY, OTHER_ORG]
PEOPLE = set(ROLE_PEOPLE)
FOOTAGE = PEOPLE - {Role.FUNCTIONAL_ADMIN, Role.SUPPLIER}

OFFICER, MANAGER, DEPUTY = Role.OFFICER, Role.MANAGER, Role.DEPUTY_MANAGER
INVITED, PRIVACY = Role.INVITED_STAFF, Role.PRIVACY_OFFICER
ADMIN_ROLE = Role.FUNCTIONAL_ADMIN


class Door:
    """Who gets which outcome at one URL pattern; everyone not named gets `others`."""

    def __init__(self, method="get", *, ok=(), missing=(), login=(), denied=(), others="denied",
                 anonymous="login", password_only="login", other_org=None, kwargs=None,
                 body=None):  # fmt: skip
        self.method = method
        self.kwargs = kwargs
        self.body = body
        self.outcomes = {who: others for who in PEOPLE}
        for outcome, roles in (("ok", ok), ("missing", missing), ("login", login),
                               ("denied", denied)):  # fmt: skip
            for role in roles:
                self.outcomes[role] = outcome
        self.outcomes[ANONYMOUS] = anonymous
        self.outcomes[PASSWORD_ONLY] = password_only
        self.outcomes[OTHER_ORG] = other_org or others


def page(method="get", **kw) -> Door:
    """A staff page behind the gate: anonymous and password-only are sent to a login step."""
    return Door(method, **kw)


def endpoint(method="get", **kw) -> Door:
    """A JSON endpoint behind the gate: anonymous and password-only get 403, never a redirect."""
    kw.setdefault("anonymous", "denied")
    kw.setdefault("password_only", "denied")
    return Door(method, **kw)


def public(method="get", **kw) -> Door:
    """Open to everyone (health, schema, the login steps, language switch)."""
    for who in ("others", "anonymous", "password_only"):
        kw.setdefault(who, "ok")
    return Door(method, **kw)


def camera(method="get", **kw) -> Door:
    """A camera's endpoint: signed requests only; a person's session counts for nothing."""
    for who in ("others", "anonymous", "password_only"):
        kw.setdefault(who, "denied")
    return Door(method, **kw)


# The world's objects for URL kwargs: `o` is a namespace with recording, session, hold, decision.
def rec(o):
    return {"recording_id": o.recording.pk}


def ses(o):
    return {"session_id": o.session.pk}


def pk_rec(o):
    return {"pk": o.recording.pk}


PARTICIPANTS = {OFFICER, MANAGER, INVITED}
HOLDERS = {MANAGER, DEPUTY, PRIVACY, Role.COMPLAINT_COORDINATOR}
CONFIRMED = {OFFICER, MANAGER}
OFFICER_AND_MANAGERS = {OFFICER, MANAGER, DEPUTY}

#: Route (as the resolver spells it) -> expectation. A new URL fails until it is added here.
EXPECTED: dict[str, Door] = {
    # core
    "healthz": public(),
    "api/schema/": public(),
    "i18n/setlang/": public("post", body={"language": "nl", "next": "/"}),
    # the login flow itself
    "login/": public(),
    "login/code/": public(anonymous="login"),  # the code step needs the password step first
    "login/totp/": public(anonymous="login", password_only="login"),  # has a device: log in
    "logout/": public("post", others="login", anonymous="login", password_only="login"),
    # staff pages
    "": page(ok=PEOPLE, other_org="ok"),
    "recordings/mine/": page(ok={OFFICER}),
    "recordings/team/": page(ok={MANAGER, DEPUTY}, other_org="ok"),
    # Invited staff know the recording through the viewing they were invited to.
    "recordings/<uuid:recording_id>/": page(ok=OFFICER_AND_MANAGERS | {INVITED}, kwargs=rec),
    # Naming the officer of a recording without one; the world's recording has one: nobody.
    "recordings/assign/<uuid:recording_id>/": page(kwargs=rec),
    # a functional administrator's logins page (activation codes, resets, unlocks)
    "accounts/": page(ok={ADMIN_ROLE}),
    "accounts/<uuid:user_id>/<slug:what>/": page(
        "post", ok={ADMIN_ROLE}, kwargs=lambda o: {"user_id": o.colleague.pk, "what": "unlock"}
    ),
    # role requests waiting for a second person (ORG-4, ACC-1)
    "people/requests/": page(ok=PEOPLE, other_org="ok"),
    "people/requests/<int:pk>/": page(
        "post",
        ok={PRIVACY},
        kwargs=lambda o: {"pk": o.role_request.pk},
        body={"decision": "x"},
        other_org="missing",
    ),
    # viewing (ACC-1..ACC-4)
    "viewing/": page(ok=FOOTAGE, other_org="ok"),
    "viewing/start/<uuid:recording_id>/": page(ok=OFFICER_AND_MANAGERS, kwargs=rec),
    "viewing/<uuid:session_id>/": page(ok=PARTICIPANTS, kwargs=ses),
    "viewing/<uuid:session_id>/confirm/": page("post", ok=PARTICIPANTS, kwargs=ses),
    "viewing/<uuid:session_id>/cosign/": page("post", ok=PARTICIPANTS, kwargs=ses),
    "viewing/<uuid:session_id>/invite/": page("post", ok={MANAGER}, kwargs=ses),
    "viewing/<uuid:session_id>/end/": page("post", ok=PARTICIPANTS, kwargs=ses),
    "viewing/<uuid:session_id>/breach/": page(
        "post", ok=PARTICIPANTS, kwargs=ses, body={"description": "test"}
    ),
    "viewing/<uuid:session_id>/watch/": page(ok=CONFIRMED, kwargs=ses),
    "viewing/<uuid:session_id>/stream": endpoint(ok=CONFIRMED, kwargs=ses),
    "viewing/<uuid:session_id>/events": endpoint(
        "post", ok=CONFIRMED, kwargs=ses, body={"event": "play", "position": 0}
    ),
    "viewing/<uuid:session_id>/status": endpoint(ok=PARTICIPANTS, kwargs=ses),
    # incident reports (RPT-1..RPT-3)
    "reports/": page(ok=PEOPLE, other_org="ok"),
    "reports/new/<uuid:recording_id>/": page(ok={OFFICER}, kwargs=rec),
    "reports/<uuid:recording_id>/": page(ok=OFFICER_AND_MANAGERS, others="missing", kwargs=rec),
    "reports/notifications/": page(ok=PEOPLE, other_org="ok"),
    # retention staff API (RET-*)
    # Metadata (status, holds, the list of stopped purges) is for every member (ORG-4: the
    # administrators included); acting on it is for the people of each rule.
    "api/v1/retention/recordings/<uuid:pk>/": endpoint(
        ok=PEOPLE, kwargs=pk_rec, other_org="missing"
    ),
    "api/v1/retention/recordings/<uuid:pk>/holds/": endpoint(
        "post",
        ok=HOLDERS,
        kwargs=pk_rec,
        body={"reason": "claim", "case_reference": "K-2"},
        other_org="missing",
    ),
    "api/v1/retention/holds/<int:pk>/release/": endpoint(
        "post", ok=HOLDERS, kwargs=lambda o: {"pk": o.hold.pk}, other_org="missing"
    ),
    "api/v1/retention/recordings/<uuid:pk>/decisions/": endpoint(
        "post",
        ok=OFFICER_AND_MANAGERS,
        kwargs=pk_rec,
        body={"kind": "delete", "reason": "x"},
        other_org="missing",
    ),
    "api/v1/retention/decisions/<int:pk>/approve/": endpoint(
        "post", ok={MANAGER, DEPUTY}, kwargs=lambda o: {"pk": o.decision.pk}, other_org="missing"
    ),
    "api/v1/retention/decisions/<int:pk>/refuse/": endpoint(
        "post", ok=OFFICER_AND_MANAGERS, kwargs=lambda o: {"pk": o.decision.pk}, other_org="missing"
    ),
    "api/v1/retention/decisions/<int:pk>/advice/": endpoint(
        "post",
        ok={PRIVACY},
        kwargs=lambda o: {"pk": o.decision.pk},
        body={"advice": "agreed"},
        other_org="missing",
    ),
    "api/v1/retention/mass-deletions/": endpoint(ok=PEOPLE, other_org="ok"),
    "api/v1/retention/mass-deletions/<int:pk>/confirm/": endpoint(
        "post",
        ok={ADMIN_ROLE, MANAGER, DEPUTY},
        kwargs=lambda o: {"pk": o.mass_deletion.pk},
        other_org="missing",
    ),
    "api/v1/retention/policy-preview/": endpoint(
        "post",
        ok={ADMIN_ROLE},
        body=lambda o: {"organisation": o.org.slug, "retention_days": 7},
        other_org="missing",
    ),
    # audit trail (AUD-3): the public key for anyone, the custody report for few
    "api/v1/audit/public-key": public(),
    "api/v1/audit/recordings/<str:recording_id>/custody-report": page(
        ok={MANAGER, DEPUTY, PRIVACY},
        kwargs=lambda o: {"recording_id": str(o.recording.pk)},
        other_org="missing",
    ),
    "api/v1/audit/recordings/<str:recording_id>/custody-report.pdf": page(
        ok={MANAGER, DEPUTY, PRIVACY},
        kwargs=lambda o: {"recording_id": str(o.recording.pk)},
        other_org="missing",
    ),
    # cameras (CAM-*): the enrolment code is the credential, then signatures
    "api/v1/cameras/enrol/": public("post"),
    "api/v1/cameras/me/": camera(),
    "api/v1/ingest/uploads/": camera("post"),
    "api/v1/ingest/uploads/<uuid:recording_id>/": camera("patch", kwargs=rec),
}


#: Every admin pattern, one expectation class: nobody but a verified functional administrator (or
#: the supplier, as the admin decides) sees an admin page; everyone else is sent away or refused.
#: What the administrator may do inside is the admin's own test (tests/*/test_admin*.py).
ADMIN = Door(others="not-admin", anonymous="not-admin", password_only="not-admin")
ADMIN_USERS = {ADMIN_ROLE, Role.SUPPLIER}


def walk(resolver=None, prefix="", namespace=""):
    """(route, name, pattern) for every URL pattern Kluis serves, includes unfolded."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p, route, inner)
        elif isinstance(p, URLPattern):
            yield route, (f"{namespace}{p.name}" if p.name else None), p


def routes() -> list[str]:
    return [route for route, _name, _p in walk()]


def is_admin(route: str) -> bool:
    return route.startswith("admin/")


def test_every_url_has_an_expectation():
    """A new URL without an expectation in this file fails, so nobody forgets to decide."""
    missing = [r for r in routes() if not is_admin(r) and r not in EXPECTED]
    stale = [r for r in EXPECTED if r not in routes()]
    assert not missing, f"add these URL patterns to EXPECTED: {missing}"
    assert not stale, f"these expectations name no URL pattern: {stale}"


def _outcome(response) -> str:
    status = response.status_code
    if status >= 500:
        return f"error {status}"
    if status in (401, 403):
        return "denied"
    if status == 404:
        return "missing"
    if status in (301, 302, 303, 307):
        location = response["Location"]
        if location.startswith((reverse("staff:login"), reverse("staff:login-code"),
                                reverse("staff:totp-setup"))):  # fmt: skip
            return "login"
    return "ok"


def _admin_outcome(response) -> str:
    outcome = _outcome(response)
    if outcome.startswith("error"):
        return outcome
    if response.status_code == 200 and b'id="site-name"' in response.content:
        return "admin page"
    return "not-admin"


def _admin_url(route, name, pattern) -> str | None:
    """Fill an admin pattern's kwargs: an object of its model where the pattern wants one."""
    kwargs = {}
    for key in pattern.pattern.regex.groupindex:
        if key in ("object_id", "pk"):
            model = _admin_model(route)
            obj = model.objects.first() if model is not None else None
            kwargs[key] = str(obj.pk) if obj is not None else "0"
        elif key == "app_label":
            kwargs[key] = "organisations"
        elif key == "url":
            kwargs[key] = "nothing-here/"
        else:
            kwargs[key] = "0"
    if name is None:  # the admin's unnamed redirect of an old change URL
        return "/" + route.replace("<path:object_id>", kwargs.get("object_id", "0"))
    try:
        return reverse(name, kwargs=kwargs)
    except Exception:  # noqa: BLE001 - a pattern we cannot fill is reported below
        return None


def _admin_model(route):
    """The model of an admin route `admin/<app_label>/<model_name>/...`."""
    for model in admin.site._registry:
        meta = model._meta
        if route.startswith(f"admin/{meta.app_label}/{meta.model_name}/"):
            return model
    return None


def _request(client, method, path, body):
    with transaction.atomic():
        if method == "get":
            r = client.get(path, headers={"Range": "bytes=0-99"})
        elif body is not None and "event" in body:
            r = client.post(path, body, content_type="application/json")
        else:
            r = getattr(client, method)(path, body or {})
        if getattr(r, "streaming", False):
            b"".join(r.streaming_content)
        transaction.set_rollback(True)
    return r


class _Objects:
    pass


def _objects(world):
    from kluis.organisations import actions as organisations
    from kluis.reports import actions as reports
    from kluis.reports.actions import ReportInput
    from kluis.retention import actions as retention
    from kluis.viewing import actions

    o = _Objects()
    o.org = world.org
    o.colleague = world.colleague
    o.role_request = organisations.request_role(
        world.org, world.colleague, Role.COMPLAINT_COORDINATOR, actor=world.functional_admin
    )
    o.recording = world.recording
    reports.file_report(
        world.recording,
        ReportInput(facts="Fiets", description="Discussie", warned_before=True, warnings_given=1),
        actor=world.officer,
    )
    o.mass_deletion = retention.request_mass_deletion(
        world.org, due=3, volume=SimpleNamespace(threshold=1, median_daily=1, deleted_last_24h=0)
    )
    o.session = actions.start_session(
        world.officer, world.recording, purpose="complaint", managers=[world.manager]
    )
    actions.confirm(world.manager, o.session)
    actions.invite(world.manager, o.session, world.invited_staff)
    o.hold = retention.place_hold(
        world.recording, reason="complaint", case_reference="K-1", actor=world.manager
    )
    o.decision = retention.propose_decision(
        world.recording, kind="edit", reason="blur a bystander", actor=world.officer
    )
    return o


def _log_in_as(client, world, who):
    client.logout()
    if who == ANONYMOUS:
        return
    if who == OTHER_ORG:
        log_in(client, world.other_org_manager)
        return
    if who == PASSWORD_ONLY:
        client.force_login(world.manager)  # the password checked, the code not asked yet
        return
    log_in(client, getattr(world, ROLE_PEOPLE[who]))


@pytest.mark.rule("ACC-1", "ORG-4", "ORG-1")
def test_every_role_against_every_url(client, world):
    """Every pattern of the resolver x every role x anonymous x password-only x another
    organisation's manager."""
    o = _objects(world)
    client.raise_request_exception = False  # a 500 is an outcome like any other here
    observed, wrong = {}, {}
    for who in WHO:
        _log_in_as(client, world, who)
        for route, name, pattern in walk():
            if is_admin(route):
                path = _admin_url(route, name, pattern)
                if path is None:
                    wrong[(str(who), route)] = "cannot fill the pattern"
                    continue
                got = _admin_outcome(_request(client, "get", path, None))
                expected = ADMIN.outcomes[who]
                if who in ADMIN_USERS and not got.startswith("error"):
                    expected = got
            else:
                door = EXPECTED.get(route)
                if door is None:
                    continue  # test_every_url_has_an_expectation names it
                kwargs = door.kwargs(o) if door.kwargs else {}
                path = reverse(name, kwargs=kwargs) if name else "/" + route
                body = door.body(o) if callable(door.body) else door.body
                got = _outcome(_request(client, door.method, path, body))
                expected = door.outcomes[who]
                if route == "logout/":
                    _log_in_as(client, world, who)  # the rollback keeps the session, not the cookie
            observed[(str(who), route)] = got
            if got != expected:
                wrong[(str(who), route)] = f"expected {expected}, got {got}"
    if os.environ.get("KLUIS_MATRIX_SHOW"):
        for key, got in sorted(observed.items()):
            print(key, got)
    assert not wrong, "\n".join(f"{k}: {v}" for k, v in sorted(wrong.items()))
