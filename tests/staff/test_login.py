"""Staff log in with a password and a TOTP code; no staff page opens on a password alone."""

from __future__ import annotations

from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kluis.custody.models import AuditEntry
from kluis.staff.actions import issue_activation
from kluis.staff.auth import REFUSED
from tests.login import PASSWORD, add_totp, code_for


def test_staff_pages_need_a_login(client, db):
    r = client.get(reverse("staff:home"))
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("staff:login"))


def test_login_page_is_dutch_first_and_accessible(client, db):
    r = client.get(reverse("staff:login"))
    html = r.content.decode()
    assert '<html lang="nl">' in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert '<label class="form-label" for="id_username">' in html
    r = client.get(reverse("staff:login"), headers={"Accept-Language": "en"})
    assert '<html lang="en">' in r.content.decode()


def test_password_and_code_log_in(client, person):
    add_totp(person)
    r = client.post(
        reverse("staff:login"),
        {"username": "boa", "password": PASSWORD, "code": code_for(person)},
    )
    assert r.status_code == 302 and r["Location"] == reverse("staff:home")
    assert client.get(reverse("staff:home")).status_code == 200


def test_a_wrong_code_does_not_log_in(client, person):
    add_totp(person)
    r = client.post(
        reverse("staff:login"), {"username": "boa", "password": PASSWORD, "code": "000000"}
    )
    assert r.status_code == 400
    assert client.get(reverse("staff:home")).status_code == 302


def test_a_password_alone_does_not_open_staff_pages(client, person):
    add_totp(person)
    r = client.post(reverse("staff:login"), {"username": "boa", "password": PASSWORD})
    assert r.status_code == 400
    client.force_login(person)  # logged in some other way, no second factor yet
    r = client.get(reverse("staff:my-recordings"))
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("staff:login-code"))
    r = client.post(r["Location"], {"code": code_for(person)})
    assert r.status_code == 302 and r["Location"] == reverse("staff:my-recordings")
    assert client.get(reverse("staff:my-recordings")).status_code == 200


def test_a_wrong_password_says_nothing_about_the_person(client, person):
    r = client.post(reverse("staff:login"), {"username": "boa", "password": "nope", "code": "1"})
    assert r.status_code == 400
    assert r.context["form"].non_field_errors() == [str(REFUSED)]


def test_first_login_sets_up_the_authenticator(client, person):
    code = issue_activation(None, person)
    r = client.post(reverse("staff:login"), {"username": "boa", "password": PASSWORD, "code": code})
    assert r.status_code == 302 and r["Location"] == reverse("staff:totp-setup")
    # No staff page until the device is confirmed.
    assert client.get(reverse("staff:home"))["Location"] == reverse("staff:totp-setup")
    r = client.get(reverse("staff:totp-setup"))
    assert r.status_code == 200
    assert "data:image/svg+xml;base64," in r.content.decode()
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    assert client.post(reverse("staff:totp-setup"), {"code": "123"}).status_code == 400
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"
    r = client.post(reverse("staff:totp-setup"), {"code": code})
    assert r.status_code == 200 and len(r.context["codes"]) == 10  # recovery codes, shown once
    assert client.get(reverse("staff:home")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="staff.totp_enrolled", actor=person).exists()


def test_with_a_device_the_setup_page_needs_the_old_device_first(client, person):
    add_totp(person)
    client.force_login(person)
    r = client.get(reverse("staff:totp-setup"))
    assert r.status_code == 302 and r["Location"] == reverse("staff:login")


def test_next_is_followed_only_on_this_site(client, person):
    add_totp(person)
    r = client.post(
        reverse("staff:login") + "?next=https://evil.example/",
        {
            "username": "boa",
            "password": PASSWORD,
            "code": code_for(person),
            "next": "https://evil.example/",
        },
    )
    assert r["Location"] == reverse("staff:home")


def test_logout_is_a_post(client, person):
    add_totp(person)
    from tests.login import log_in

    log_in(client, person)
    assert client.get(reverse("staff:logout")).status_code == 405
    assert client.post(reverse("staff:logout")).status_code == 302
    assert client.get(reverse("staff:home")).status_code == 302
