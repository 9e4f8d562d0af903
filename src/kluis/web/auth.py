"""Staff login: a password and a TOTP code (django-otp), and the decorator every staff page uses.

A person who has no confirmed TOTP device yet logs in with the password alone and is sent to set
one up before any staff page opens: no staff page is reachable on a password only.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from kluis.core.problems import KluisError


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


def is_verified(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "is_verified", lambda: False)()
    )


def error_page(request, error: KluisError) -> HttpResponse:
    """A KluisError as a page with the right status and a message the person can act on."""
    return TemplateResponse(
        request, "web/error.html", {"error": error, "status": error.status}, status=error.status
    )


def staff_page(view):
    """Logged in with password and TOTP; KluisErrors become an error page, never a trace.

    Deny by default: the view itself still asks `require()` about the object it shows.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return redirect_to_login(
                request.get_full_path(), settings.LOGIN_URL, REDIRECT_FIELD_NAME
            )
        if not is_verified(user):
            if confirmed_totp_device(user) is None:
                return redirect("web:totp-setup")
            # Logged in by another way (municipal SSO) but no code yet: ask for the code only.
            return redirect_to_login(request.get_full_path(), "web:login-code", REDIRECT_FIELD_NAME)
        try:
            return view(request, *args, **kwargs)
        except KluisError as error:
            return error_page(request, error)

    return wrapper
