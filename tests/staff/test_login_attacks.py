"""The attacks on the staff login of issue 13, replayed: each now fails to get in.

Guessing passwords (or codes) locks the user name and the address (django-axes); every refusal
reads the same; an account without an authenticator is not taken over with its password; the
session key changes when the session becomes verified; every attempt is in the audit trail.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from kluis.custody.events import AuditEvent
from kluis.custody.models import AuditEntry
from kluis.staff.auth import REFUSED, check_person
from tests.login import PASSWORD, add_totp, code_for

LOGIN = reverse("staff:login")


@pytest.fixture
def person(person):
    """tests/conftest.py's officer, with an authenticator."""
    add_totp(person)
    return person


def _post(client, username="boa", password=PASSWORD, code="", **extra):
    return client.post(LOGIN, {"username": username, "password": password, "code": code}, **extra)


def _refusal(response) -> list[str]:
    """What the login page says, however it was refused."""
    assert response.status_code == 400
    form = response.context["form"]
    return [str(e) for e in form.non_field_errors()] + [
        f"{name}: {e}" for name, errors in form.errors.items() if name != "__all__" for e in errors
    ]


def _logged_in(client) -> bool:
    return client.get(reverse("staff:home")).status_code == 200


@pytest.mark.rule("ACC-1")
def test_100_wrong_passwords_in_a_row_lock_the_account(client, settings, person):
    messages = {tuple(_refusal(_post(client, password=f"guess-{i}"))) for i in range(100)}
    assert messages == {(str(REFUSED),)}
    # Now even the right password and code are refused, with the same words.
    assert _refusal(_post(client, code=code_for(person))) == [str(REFUSED)]
    assert not _logged_in(client)
    failed = AuditEntry.objects.filter(action=AuditEvent.LOGIN_FAILED, object_id=str(person.pk))
    assert failed.count() == settings.AXES_FAILURE_LIMIT
    assert AuditEntry.objects.filter(action=AuditEvent.LOGIN_LOCKED_OUT).count() == (
        100 - settings.AXES_FAILURE_LIMIT + 2  # the attempt that locked, the rest, the right one
    )
    assert all(e.organisation_id == person.memberships.first().organisation_id for e in failed)


@pytest.mark.rule("ACC-1")
def test_wrong_passwords_from_one_address_lock_every_user_name_there(client, settings, person):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _refusal(_post(client, username=f"nobody-{i}", password="x"))
    assert _refusal(_post(client, code=code_for(person))) == [str(REFUSED)]
    # Unknown user names are audited in the installation's chain.
    unknown = AuditEntry.objects.filter(action=AuditEvent.LOGIN_FAILED, organisation=None)
    assert unknown.count() == settings.AXES_FAILURE_LIMIT
    # Another address is not locked.
    r = _post(client, code=code_for(person, offset_steps=1), REMOTE_ADDR="192.0.2.7")
    assert r.status_code == 302


@pytest.mark.rule("ACC-1")
def test_right_password_wrong_code_gets_the_same_message_as_a_wrong_password(client, person):
    wrong_password = _refusal(_post(client, password="nope", code=code_for(person)))
    wrong_code = _refusal(_post(client, code="000000"))
    no_code = _refusal(_post(client))
    unknown_user = _refusal(_post(client, username="nobody", code="123456"))
    assert wrong_password == wrong_code == no_code == unknown_user == [str(REFUSED)]


@pytest.mark.rule("ACC-1")
def test_right_password_wrong_codes_count_towards_the_lockout(client, settings, person):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _refusal(_post(client, code="000000"))
    assert _refusal(_post(client, code=code_for(person))) == [str(REFUSED)]
    reasons = [
        e.details_json
        for e in AuditEntry.objects.filter(action=AuditEvent.LOGIN_FAILED).order_by("id")
    ]
    assert all('"reason":"code"' in d for d in reasons)


def test_a_good_login_resets_the_count(client, settings, person):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _refusal(_post(client, password="nope"))
    assert _post(client, code=code_for(person)).status_code == 302
    assert AuditEntry.objects.filter(action=AuditEvent.LOGIN_SUCCEEDED, actor=person).exists()
    client.post(reverse("staff:logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _refusal(_post(client, password="nope"))
    assert _post(client, code=code_for(person, offset_steps=1)).status_code == 302


def test_the_audit_never_holds_the_password_or_the_code(client, person):
    _post(client, password="Secret-Guess-1", code="654321")
    _post(client, code=code_for(person))
    text = " ".join(AuditEntry.objects.values_list("details_json", flat=True))
    assert "Secret-Guess-1" not in text and PASSWORD not in text
    assert "654321" not in text and code_for(person) not in text


@pytest.mark.rule("ACC-1")
def test_wrong_co_signatures_count_towards_the_lockout(settings, person):
    request = RequestFactory().post("/viewing/1/confirm")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert check_person(request, "boa", PASSWORD, "000000") is None
    assert check_person(request, "boa", PASSWORD, code_for(person)) is None
    failed = AuditEntry.objects.filter(action=AuditEvent.LOGIN_FAILED)
    assert failed.count() == settings.AXES_FAILURE_LIMIT
    assert all('"purpose":"co-sign"' in e.details_json for e in failed)


def test_a_right_co_signature_is_accepted(person):
    request = RequestFactory().post("/viewing/1/confirm")
    assert check_person(request, "boa", PASSWORD, code_for(person)) == person


def test_session_key_changes_at_the_totp_step(client, person):
    client.force_login(person)  # logged in without a code (municipal SSO)
    before = client.session.session_key
    r = client.post(reverse("staff:login-code"), {"code": code_for(person)})
    assert r.status_code == 302
    assert client.session.session_key != before
    assert _logged_in(client)


def test_session_key_changes_at_the_login(client, person):
    client.get(LOGIN)
    session = client.session
    session["before"] = True
    session.save()
    before = session.session_key
    assert _post(client, code=code_for(person)).status_code == 302
    assert client.session.session_key != before


def test_a_wrong_code_on_the_code_step_gets_the_same_message(client, settings, person):
    client.force_login(person)
    r = client.post(reverse("staff:login-code"), {"code": "000000"})
    assert r.status_code == 400
    assert r.context["form"].errors["code"] == [str(REFUSED)]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("staff:login-code"), {"code": "000000"})
    r = client.post(reverse("staff:login-code"), {"code": code_for(person)})
    assert r.status_code == 400  # locked out


def test_a_made_up_forwarded_for_header_does_not_dodge_the_address_lockout(client, settings, db):
    for i in range(settings.AXES_FAILURE_LIMIT + 2):
        _post(client, username=f"nobody-{i}", password="x", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    locked = AuditEntry.objects.filter(action=AuditEvent.LOGIN_LOCKED_OUT, organisation=None)
    assert locked.exists()


def test_behind_a_proxy_the_address_the_proxy_saw_is_counted(rf, settings):
    from kluis.staff.auth import client_ip

    settings.PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.9", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "192.0.2.9"
    settings.PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
