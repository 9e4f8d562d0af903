"""The one set of login helpers: a person's authenticator, the code it shows, and a test client
logged in as after password + TOTP code (the gate lets nobody else onto staff pages or admin)."""

from __future__ import annotations

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

#: Every person of tests.factories.make_person has this password.
PASSWORD = "correct horse battery"


def add_totp(user) -> TOTPDevice:
    """A confirmed TOTP device, so the person can log in and co-sign in tests."""
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def code_for(user, *, offset_steps: int = 0) -> str:
    """The code the person's authenticator app would show now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + offset_steps,
    )
    return f"{code:0{device.digits}d}"


def log_in(client, user):
    """Logged in with password and TOTP, as the login page leaves a person; returns the client."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or add_totp(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
