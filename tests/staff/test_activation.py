"""A first login needs an administrator's one-time activation code; recovery codes log in once
each; an administrator resets a lost authenticator and unlocks a blocked login, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from kluis.core.problems import KluisError, NotAllowed
from kluis.custody.events import AuditEvent
from kluis.custody.models import AuditEntry
from kluis.organisations.models import Role
from kluis.staff import actions
from kluis.staff.auth import REFUSED
from kluis.staff.models import ActivationCode
from tests.factories import make_organisation, make_person
from tests.login import PASSWORD, add_totp, code_for, log_in

LOGIN = reverse("staff:login")


@pytest.fixture
def admin(org):
    admin = make_person(org, Role.FUNCTIONAL_ADMIN, "beheer")
    add_totp(admin)
    return admin


def _login(client, code, username="boa", password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password, "code": code})


def _set_up_authenticator(client, person) -> list[str]:
    """Scan, confirm the first code: the recovery codes shown once."""
    assert client.get(reverse("staff:totp-setup")).status_code == 200
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"
    r = client.post(reverse("staff:totp-setup"), {"code": code})
    assert r.status_code == 200
    return r.context["codes"]


@pytest.mark.rule("ACC-1")
def test_an_account_without_totp_is_not_taken_over_with_the_password_alone(client, person):
    r = _login(client, "")
    assert r.status_code == 400 and r.context["form"].non_field_errors() == [str(REFUSED)]
    assert _login(client, "ABCD-EFGH-JKLM").status_code == 400  # a guessed activation code
    assert client.get(reverse("staff:totp-setup"))["Location"] == reverse("staff:login")
    assert not TOTPDevice.objects.filter(user=person).exists()
    failed = AuditEntry.objects.filter(action=AuditEvent.LOGIN_FAILED, object_id=str(person.pk))
    assert all('"reason":"activation-code"' in e.details_json for e in failed)


@pytest.mark.rule("ACC-1")
def test_a_session_without_a_code_cannot_enrol_an_authenticator_without_an_activation_code(
    client, person
):
    client.force_login(person)  # the municipality's identity provider let them in
    r = client.get(reverse("staff:totp-setup"))
    assert r.status_code == 200 and "qr_data_uri" not in r.context
    assert not TOTPDevice.objects.filter(user=person).exists()
    r = client.post(reverse("staff:totp-setup"), {"code": "ABCD-EFGH-JKLM"})
    assert r.status_code == 400 and r.context["form"].errors["code"] == [str(REFUSED)]
    code = actions.issue_activation(None, person)
    r = client.post(reverse("staff:totp-setup"), {"code": code})
    assert r.status_code == 302 and r["Location"] == reverse("staff:totp-setup")
    assert len(_set_up_authenticator(client, person)) == 10


def test_first_login_with_an_activation_code_sets_up_the_authenticator(client, person):
    code = actions.issue_activation(None, person)
    r = _login(client, code.lower().replace("-", " "))  # as typed: case and spaces do not matter
    assert r.status_code == 302 and r["Location"] == reverse("staff:totp-setup")
    assert client.get(reverse("staff:home"))["Location"] == reverse("staff:totp-setup")
    before = client.session.session_key
    codes = _set_up_authenticator(client, person)
    assert client.session.session_key != before  # verified now: a new session key
    assert client.get(reverse("staff:home")).status_code == 200
    assert StaticDevice.objects.get(user=person).token_set.count() == len(codes)
    kinds = set(AuditEntry.objects.filter(object_id=str(person.pk)).values_list("action", flat=1))
    assert {
        AuditEvent.ACTIVATION_ISSUED,
        AuditEvent.ACTIVATION_USED,
        AuditEvent.LOGIN_SUCCEEDED,
        AuditEvent.RECOVERY_CODES_ISSUED,
    } <= kinds


def test_an_activation_code_is_hashed_single_use_and_expires(client, person, settings):
    code = actions.issue_activation(None, person)
    entry = ActivationCode.objects.get(user=person)
    assert actions.normalise_code(code) not in entry.code_hash
    assert _login(client, code).status_code == 302
    client.logout()
    assert _login(client, code).status_code == 400  # spent
    late = actions.issue_activation(None, person)
    ActivationCode.objects.filter(used_at=None).update(
        expires_at=entry.issued_at - dt.timedelta(seconds=1)
    )
    assert _login(client, late).status_code == 400  # expired


def test_a_new_activation_code_ends_the_old_one(client, person):
    old = actions.issue_activation(None, person)
    new = actions.issue_activation(None, person)
    assert _login(client, old).status_code == 400
    assert _login(client, new).status_code == 302


def test_only_the_persons_functional_administrator_issues_activation_codes(org, person, admin):
    assert actions.issue_activation(admin, person)
    other_org_admin = make_person(make_organisation(), Role.FUNCTIONAL_ADMIN, "beheer2")
    manager = make_person(org, Role.MANAGER, "baas", team="Handhaving")
    for actor in (other_org_admin, manager):
        with pytest.raises(NotAllowed):
            actions.issue_activation(actor, person)
    with pytest.raises(NotAllowed):
        actions.reset_authenticator(admin, admin)  # nobody for themselves
    entry = AuditEntry.objects.get(action=AuditEvent.ACTIVATION_ISSUED)
    assert entry.actor == admin and entry.organisation == org


def test_no_activation_code_while_the_person_has_an_authenticator(person, admin):
    add_totp(person)
    with pytest.raises(KluisError):
        actions.issue_activation(admin, person)


def test_a_recovery_code_logs_in_once_instead_of_the_code(client, person):
    _login(client, actions.issue_activation(None, person))
    codes = _set_up_authenticator(client, person)
    client.post(reverse("staff:logout"))
    assert _login(client, codes[0]).status_code == 302
    assert client.get(reverse("staff:home")).status_code == 200
    client.post(reverse("staff:logout"))
    assert _login(client, codes[0]).status_code == 400  # used up
    used = AuditEntry.objects.filter(action=AuditEvent.RECOVERY_CODE_USED, actor=person)
    assert used.count() == 1 and '"left":9' in used.get().details_json


def test_an_administrators_reset_removes_the_authenticator_and_tells_the_person(
    client, org, person, admin, django_capture_on_commit_callbacks
):
    person.email = "boa@example.invalid"
    person.save()
    add_totp(person)
    log_in(client, person)
    assert client.get(reverse("staff:home")).status_code == 200
    with pytest.raises(NotAllowed):
        actions.reset_authenticator(person, person)
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes after the commit
        actions.reset_authenticator(admin, person)
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not StaticDevice.objects.filter(user=person).exists()
    # The open session is no longer verified; the password alone gets nowhere.
    assert client.get(reverse("staff:home")).status_code == 302
    client.logout()
    assert _login(client, "").status_code == 400
    assert _login(client, code_for(admin)).status_code == 400
    entry = AuditEntry.objects.get(action=AuditEvent.TOTP_RESET)
    assert entry.actor == admin and entry.organisation == org
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["boa@example.invalid"]
    # A new activation code from the administrator lets the person set up again.
    assert _login(client, actions.issue_activation(admin, person)).status_code == 302


def test_an_administrator_unlocks_a_blocked_login(client, settings, person, admin):
    add_totp(person)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "000000", password="nope")
    assert _login(client, code_for(person)).status_code == 400
    with pytest.raises(NotAllowed):
        actions.unlock_login(person, person)
    assert actions.unlock_login(admin, person) >= 1
    assert _login(client, code_for(person, offset_steps=1)).status_code == 302
    entry = AuditEntry.objects.get(action=AuditEvent.LOGIN_UNLOCKED)
    assert entry.actor == admin


def test_the_logins_page_issues_resets_and_unlocks(client, settings, person, admin):
    add_totp(person)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "000000", password="nope")
    log_in(client, admin)
    r = client.get(reverse("staff:accounts"))
    assert r.status_code == 200
    rows = {row["person"].username: row for row in r.context["rows"]}
    assert set(rows) == {"boa"} and rows["boa"]["locked"]
    url = reverse("staff:account-action", args=[person.pk, "unlock"])
    assert client.post(url).status_code == 200
    url = reverse("staff:account-action", args=[person.pk, "reset"])
    assert client.post(url).status_code == 400  # not confirmed
    r = client.post(url, {"confirm": "yes"})
    assert r.status_code == 200 and r.context["code"]
    assert not TOTPDevice.objects.filter(user=person).exists()
    client.logout()
    assert _login(client, r.context["code"]).status_code == 302


def test_the_logins_page_is_for_functional_administrators_only(client, person, admin):
    add_totp(person)
    log_in(client, person)
    assert client.get(reverse("staff:accounts")).status_code == 403
    url = reverse("staff:account-action", args=[admin.pk, "activation"])
    assert client.post(url).status_code == 403


def test_the_operator_unlocks_an_address_with_a_command(client, settings, person):
    from django.core.management import call_command

    add_totp(person)
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "000000", username=f"nobody-{i}", password="nope")
    assert _login(client, code_for(person)).status_code == 400
    call_command("unlock_login", "--address", "127.0.0.1")
    assert _login(client, code_for(person, offset_steps=1)).status_code == 302
    entry = AuditEntry.objects.get(action=AuditEvent.LOGIN_UNLOCKED)
    assert entry.actor is None and entry.organisation is None


def test_the_operator_issues_an_activation_code_with_a_command(client, person):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("issue_activation", "boa", stdout=out)
    assert _login(client, out.getvalue().strip()).status_code == 302
