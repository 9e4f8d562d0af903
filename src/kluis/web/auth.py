"""Staff login: a password and a TOTP code (django-otp). The gate itself is kluis.core.gate.

A person who has no confirmed TOTP device yet logs in with the password alone and is sent to set
one up before any staff page opens: no staff page is reachable on a password only.
"""

from __future__ import annotations

from django.contrib.auth import authenticate as django_authenticate
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

# The gate lives in kluis.core.gate; these names stay importable from here.
from kluis.core.gate import error_page, is_verified, staff_page  # noqa: F401


def confirmed_totp_device(user) -> TOTPDevice | None:
    """The person's confirmed TOTP device, if they have set one up."""
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, TOTPDevice):
            return device
    return None


def check_second_factor(user, code: str) -> TOTPDevice | None:
    """The device that accepts `code` for `user`, or None (django-otp throttles failures)."""
    device = confirmed_totp_device(user)
    code = (code or "").strip().replace(" ", "")
    if device is None or not code.isdigit():
        return None
    return device if device.verify_token(code) else None


def check_person(request, username: str, password: str, code: str):
    """The person whose password and TOTP code both match, or None. Nobody is logged in.

    Co-signing uses this: a participant confirms on someone else's screen without taking it over.
    """
    user = django_authenticate(request, username=username, password=password)
    if user is None:
        return None
    device = check_second_factor(user, code)
    return user if device is not None else None
