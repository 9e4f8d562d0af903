"""State changes of the staff web app: setting up the TOTP second factor, with audit entries."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from kluis.core.problems import KluisError
from kluis.custody.log import record
from kluis.organisations.people import organisations_of


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
    orgs = organisations_of(user) or [None]
    for organisation in orgs:
        record(
            organisation=organisation,
            actor=user,
            action="staff.totp_enrolled",
            details={"device": device.persistent_id},
        )
    return device
