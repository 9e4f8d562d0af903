"""Staff login: a password and a code on one form. The gate itself is kluis.core.gate.

The code is the person's TOTP code (django-otp) or one of their recovery codes. A person who has
no confirmed TOTP device yet (a first login, or after an administrator reset it) gives the
one-time activation code an administrator issued instead, and is then sent to set up an
authenticator before any staff page opens: a password alone opens nothing, and nobody enrols
their own authenticator on someone else's account with a password they guessed.

Every refusal gets the same message, counts towards django-axes' lockout (by user name and by
address) and is audited; so does a co-signature's (`check_person`).
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _

from kluis.core.gate import confirmed_totp_device
from kluis.custody.events import AuditEvent

from . import actions

# One message for every refusal: a wrong user name, password, code, recovery or activation code,
# and a lockout all read the same, so a refusal never confirms that a password was right.
REFUSED = _(
    "Logging in did not work. Check your user name, password and code and try again. After "
    "too many attempts logging in is blocked for a while; a functional administrator can "
    "unlock it."
)


@dataclass
class Attempt:
    """What a login attempt proved: the person and the device (None: refused)."""

    user: object | None = None
    device: object | None = None
    activated: bool = False  # a first login: an activation code instead of a device

    @property
    def ok(self) -> bool:
        return self.user is not None and (self.device is not None or self.activated)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind `PROXY_COUNT` reverse proxies the entry of
    X-Forwarded-For that the outermost proxy added. Entries left of it are the client's own say
    and are never trusted, so a made-up header cannot dodge the lockout by address."""
    count = getattr(settings, "PROXY_COUNT", 0)
    if count > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= count:
            return hops[-count][:45]
    return request.META.get("REMOTE_ADDR")


def client_address(request) -> str:
    """The address django-axes counts failures by (`client_ip`, through axes)."""
    return get_client_ip_address(request) or ""


def check_second_factor(user, code: str, *, address: str = ""):
    """The device that accepts `code` for `user`: their authenticator's six digits, or one of
    their recovery codes (spent, and audited). None otherwise (django-otp throttles failures)."""
    device = confirmed_totp_device(user)
    code = (code or "").strip().replace(" ", "")
    if device is None or not code:
        return None
    if code.isdigit():
        return device if device.verify_token(code) else None
    return actions.use_recovery_code(user, code, address=address)


def attempt_login(request, username: str, password: str, code: str, *, purpose: str = "login"):
    """Check a password and a code together, counting failures (django-axes) and auditing each.

    A person with an authenticator gives its code or a recovery code. A person without one (a
    first login, or after a reset) gives an activation code from an administrator instead, and
    only when logging in (`purpose="login"`); co-signing needs an authenticator. Nobody is logged
    in here: the caller does that (or not, when co-signing).
    """
    username = (username or "")[:150]
    credentials = {"username": username}
    address = client_address(request)
    known = get_user_model().objects.filter(username=username).first()
    locked_before = not AxesProxyHandler.is_allowed(request, credentials)
    # With the axes backend first, a locked-out user name or address never reaches the password
    # check, and django's authenticate() counts every refusal (user_login_failed).
    user = django_authenticate(request, username=username, password=password)
    result = Attempt(user=user)
    reason = "password"
    if user is not None:
        device = confirmed_totp_device(user)
        if device is not None:
            result.device = check_second_factor(user, code, address=address)
        elif purpose == "login":
            result.activated = actions.use_activation(user, code, address=address)
        reason = "code" if device is not None else "activation-code"
        if not result.ok:
            # The password was right but the code was not: the same failure, counted the same.
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    details = {"address": address, "purpose": purpose}
    if result.ok:
        if purpose == "login":
            actions.record_login(
                AuditEvent.LOGIN_SUCCEEDED,
                username=username,
                person=user,
                second_factor="activation-code" if result.activated else result.device.name,
                **details,
            )
        return result
    if not locked_before:
        actions.record_login(
            AuditEvent.LOGIN_FAILED, username=username, person=known, reason=reason, **details
        )
    if not AxesProxyHandler.is_allowed(request, credentials):
        actions.record_login(
            AuditEvent.LOGIN_LOCKED_OUT, username=username, person=known, **details
        )
    return Attempt()


def check_person(request, username: str, password: str, code: str):
    """The person whose password and TOTP (or recovery) code both match, or None. Nobody is
    logged in. Refusals count towards the lockout as a login's do, and are audited.

    Co-signing uses this: a participant confirms on someone else's screen without taking it over.
    """
    result = attempt_login(request, username, password, code, purpose="co-sign")
    return result.user if result.ok else None
