"""The one gate every staff door goes through: pages, JSON endpoints and the DRF API alike.

Each door asks the same question first: is this an active person who logged in with a password
*and* a TOTP code (django-otp's `user.is_verified()`)? A session with a password only (someone
setting up their authenticator, or logged in by another way without the code) reaches nothing.
Only then does the view ask the deny-by-default permission helper
(`kluis.core.permissions.can/require`) about the object it shows.

No view checks `is_authenticated` itself: a second gate is a gate someone forgets to update. The
exceptions are the login flow (it runs before the gate can pass) and the camera endpoints, which
authenticate a camera's signature (`kluis.devices.auth`). `tests/staff/test_gate.py` enforces this,
and `tests/staff/test_url_matrix.py` walks every URL against every role.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.permissions import BasePermission

from .problems import KluisError, NotAllowed, problem_document


def is_verified(user) -> bool:
    """An active person whose session has passed both password and TOTP code."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "is_verified", lambda: False)()
    )


def confirmed_totp_device(user) -> TOTPDevice | None:
    """The person's confirmed TOTP device, if they have set one up."""
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, TOTPDevice):
            return device
    return None


# Co-signing (viewing's four-eyes confirmation) checks another person's password and code on
# this screen without logging them in. That check is the staff login's (django-axes lockout,
# audit entries, recovery codes), which sits above the apps that co-sign, so the login registers
# it here when its app is ready (kluis.staff.apps) and the lower apps ask the gate.
_person_check = None


def register_person_check(check) -> None:
    """Install the login's `check(request, username, password, code) -> person | None`."""
    global _person_check
    _person_check = check


def check_person(request, username: str, password: str, code: str):
    """The person whose password and TOTP (or recovery) code both match, or None; refusals are
    counted and audited as a login's are. Nobody is logged in."""
    if _person_check is None:
        raise ImproperlyConfigured("No staff login is installed to check a co-signature.")
    return _person_check(request, username, password, code)


def error_page(request, error: KluisError) -> HttpResponse:
    """A KluisError as a page with the right status and a message the person can act on."""
    return TemplateResponse(
        request, "staff/error.html", {"error": error, "status": error.status}, status=error.status
    )


def problem_response(error: KluisError) -> JsonResponse:
    """A KluisError as an RFC 9457 problem document, for endpoints outside DRF."""
    return JsonResponse(
        problem_document(error.status, error.title, error.detail, error.code, **error.extra),
        status=error.status,
        content_type="application/problem+json",
    )


def staff_page(view):
    """For pages: a verified person, or off to the login; KluisErrors become an error page.

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
                return redirect("staff:totp-setup")
            # Logged in by another way (municipal SSO) but no code yet: ask for the code only.
            return redirect_to_login(
                request.get_full_path(), "staff:login-code", REDIRECT_FIELD_NAME
            )
        try:
            return view(request, *args, **kwargs)
        except KluisError as error:
            return error_page(request, error)

    return wrapper


def staff_endpoint(view):
    """For JSON endpoints outside DRF (the player's): a verified person, errors as problems.

    Never a redirect to a login page: a script or <video> cannot follow one, so a missing login
    is a 403 problem document like any other refusal.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_verified(request.user):
            return problem_response(NotAllowed(_("Log in with your password and code first.")))
        try:
            return view(request, *args, **kwargs)
        except KluisError as error:
            return problem_response(error)

    return wrapper


class IsVerifiedPerson(BasePermission):
    """For the DRF API (the default permission class): a verified person, as on the pages.

    Cameras authenticate with their own signatures and state their own permission class.
    """

    def has_permission(self, request, view):
        return is_verified(request.user)
