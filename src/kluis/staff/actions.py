"""State changes of the staff login: activation codes, the TOTP second factor, recovery codes,
authenticator resets, lockouts and the audit entries of every login attempt.

Each action writes its audit entries in the transaction of its change (AUD-1), in the chain of
every organisation the person works for; a login attempt for a user name nobody has goes to the
installation's chain (`organisation=None`). No entry ever holds a password or a code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from axes.utils import reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kluis.core.clock import now
from kluis.core.gate import confirmed_totp_device
from kluis.core.permissions import require, require_unless_system
from kluis.core.problems import KluisError
from kluis.custody.events import AuditEvent
from kluis.custody.log import record
from kluis.organisations.models import Membership, Organisation

from .models import ActivationCode

# Crockford's base32 without look-alikes: 12 characters are 60 random bits.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
_CODE_LENGTH = 12
RECOVERY_DEVICE_NAME = "Recovery codes"


def organisations_of_person(user) -> list[Organisation]:
    """Every organisation the person has (or had) a role in: where their login is audited.

    Unlike `organisations_of`, ended and future roles count too, so the refusals of someone
    whose role ended (or not yet began) still land in their organisation's chain.
    """
    ids = Membership.objects.filter(user=user).values_list("organisation_id", flat=True)
    return list(Organisation.objects.filter(id__in=ids).order_by("pk"))


def _record_for(person, *, action: str, actor, details: dict) -> None:
    for organisation in (organisations_of_person(person) if person else []) or [None]:
        record(organisation=organisation, actor=actor, action=action, obj=person, details=details)


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def normalise_code(code: str) -> str:
    """A code as typed: spaces, dashes and case do not matter."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _format(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# --- Activation codes ---------------------------------------------------------------------------


@transaction.atomic
def issue_activation(actor, person) -> str:
    """A new one-time activation code for `person`, returned in plain text this once.

    The functional administrator of the person's organisation issues it (actor None: the system,
    for the demo); nobody issues their own. Older unused codes of the person stop working.
    """
    require_unless_system(actor, "staff.manage_login", person)
    if confirmed_totp_device(person) is not None:
        raise KluisError(
            _("%(name)s already has an authenticator. Reset it first if it is lost.")
            % {"name": person},
            code="has-authenticator",
        )
    moment = now()
    ActivationCode.objects.filter(user=person, used_at=None, revoked_at=None).update(
        revoked_at=moment
    )
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    entry = ActivationCode.objects.create(
        user=person,
        code_hash=_hash(code),
        issued_by=actor,
        issued_at=moment,
        expires_at=moment + dt.timedelta(hours=settings.ACTIVATION_CODE_HOURS),
    )
    _record_for(
        person,
        action=AuditEvent.ACTIVATION_ISSUED,
        actor=actor,
        details={"person": person.get_username(), "expires_at": entry.expires_at},
    )
    return _format(code)


@transaction.atomic
def use_activation(person, code: str, *, address: str = "") -> bool:
    """Spend `person`'s activation code: True once for a valid, unexpired, unused code."""
    if not normalise_code(code):
        return False
    entry = (
        ActivationCode.objects.select_for_update()
        .filter(user=person, code_hash=_hash(code), used_at=None, revoked_at=None)
        .first()
    )
    if entry is None or entry.expires_at <= now():
        return False
    entry.used_at = now()
    entry.save(update_fields=["used_at"])
    _record_for(
        person,
        action=AuditEvent.ACTIVATION_USED,
        actor=person,
        details={"person": person.get_username(), "address": address},
    )
    return True


# --- TOTP and recovery codes --------------------------------------------------------------------


def pending_totp_device(user) -> TOTPDevice:
    """The unconfirmed device a person is setting up; made once, so reloading keeps the QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Kluis", confirmed=False)
    return device


@transaction.atomic
def confirm_totp_device(user, device: TOTPDevice, code: str) -> TOTPDevice:
    """Confirm a new TOTP device with its first code; a person keeps one confirmed device."""
    if device.user_id != user.pk or device.confirmed:
        raise KluisError(_("This authenticator is not being set up for you."), status=403)
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or not device.verify_token(code):
        raise KluisError(
            _("The code is not right. Enter the six digits your authenticator app shows now."),
            code="totp-invalid",
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _record_for(
        user,
        action=AuditEvent.TOTP_ENROLLED,
        actor=user,
        details={"device": device.persistent_id},
    )
    return device


@transaction.atomic
def issue_recovery_codes(user) -> list[str]:
    """Fresh recovery codes (django-otp's static device), shown once; the old ones stop working.

    Each code logs in once instead of the authenticator's code.
    """
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    _record_for(
        user,
        action=AuditEvent.RECOVERY_CODES_ISSUED,
        actor=user,
        details={"count": len(codes)},
    )
    return codes


@transaction.atomic
def use_recovery_code(user, code: str, *, address: str = "") -> StaticDevice | None:
    """The recovery device if `code` is one of the person's unused recovery codes (spent now)."""
    token = "".join((code or "").split()).lower()
    if not token or len(token) > 16:
        return None
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or not device.verify_token(token):
        return None
    _record_for(
        user,
        action=AuditEvent.RECOVERY_CODE_USED,
        actor=user,
        details={"left": device.token_set.count(), "address": address},
    )
    return device


# --- An administrator's reset and unlock --------------------------------------------------------


@transaction.atomic
def reset_authenticator(actor, person) -> None:
    """Remove `person`'s authenticator and recovery codes, tell them by e-mail.

    Afterwards the person logs in with the password and a new activation code from an
    administrator and sets up a new authenticator. Nobody resets their own.
    """
    require(
        actor,
        "staff.manage_login",
        person,
        _("Only a functional administrator of this person's organisation resets it."),
    )
    removed = TOTPDevice.objects.filter(user=person).delete()[0]
    StaticDevice.objects.filter(user=person).delete()
    ActivationCode.objects.filter(user=person, used_at=None, revoked_at=None).update(
        revoked_at=now()
    )
    _record_for(
        person,
        action=AuditEvent.TOTP_RESET,
        actor=actor,
        details={"person": person.get_username(), "devices": removed},
    )
    if person.email:
        subject = _("Your Kluis authenticator was reset")
        body = _(
            "%(actor)s reset the authenticator of your Kluis account %(username)s. To log in "
            "again, ask a functional administrator for a new activation code and set up your "
            "authenticator app again. If you did not expect this, tell your privacy officer."
        ) % {"actor": actor, "username": person.get_username()}
        transaction.on_commit(
            lambda: send_mail(subject, body, None, [person.email], fail_silently=True)
        )


@transaction.atomic
def unlock_login(
    actor, person=None, *, address: str | None = None, username: str | None = None
) -> int:
    """Lift a lockout: `person`'s user name (their administrator), or an address or user name
    (actor None: the operator, through `kluis manage unlock_login`). Returns how many counters
    were reset."""
    if person is None and username:
        if actor is not None:
            raise KluisError(_("Name the person to unlock."))
        person = get_user_model().objects.filter(username=username).first()
        count = reset(username=username)
        _record_for(
            person,
            action=AuditEvent.LOGIN_UNLOCKED,
            actor=None,
            details={"username": username[:150], "reset": count},
        )
        return count

    if person is not None:
        require(
            actor,
            "staff.manage_login",
            person,
            _("Only a functional administrator of this person's organisation unlocks it."),
        )
        count = reset(username=person.get_username())
        details = {"person": person.get_username(), "reset": count}
    else:
        if actor is not None or not address:
            raise KluisError(_("Name a person, or an address (operators only)."))
        count = reset(ip=address)
        details = {"address": address, "reset": count}
    _record_for(person, action=AuditEvent.LOGIN_UNLOCKED, actor=actor, details=details)
    return count


# --- Login attempts -----------------------------------------------------------------------------


@transaction.atomic
def record_login(action: str, *, username: str, person=None, **details) -> None:
    """One login attempt in the audit trail: never the password or the code typed."""
    details = {"username": (username or "")[:150], **details}
    _record_for(
        person,
        action=action,
        actor=person if action == AuditEvent.LOGIN_SUCCEEDED else None,
        details=details,
    )
