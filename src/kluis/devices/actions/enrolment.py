"""Enrolment: a single-use code lets one camera register its own public key (ORG-5)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.permissions import require_unless_system
from kluis.core.problems import Conflict, KluisError
from kluis.custody.events import AuditEvent
from kluis.custody.log import record

from ..keys import InvalidCameraKey, check_camera_public_key
from ..models import Camera, EnrolmentCode
from .cameras import camera_label
from .request_guards import refusal_recorded
from .sealing_keys import ensure_organisation_key

# Letters and digits that cannot be misread for each other on a label or a phone call.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def normalise_code(code: str) -> str:
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


@transaction.atomic
def issue_enrolment_code(
    organisation, team, *, actor=None, valid_for: dt.timedelta | None = None
) -> tuple[EnrolmentCode, str]:
    """A single-use code for one camera to enrol into `team`; the code is returned only here."""
    require_unless_system(actor, "devices.manage", organisation)
    if team.organisation_id != organisation.pk:
        raise KluisError(_("The team belongs to another organisation."), code="foreign-team")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    code = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
    issued = now()
    entry = EnrolmentCode.objects.create(
        organisation=organisation,
        team=team,
        code_sha256=hash_code(code),
        issued_by=actor,
        issued_at=issued,
        expires_at=issued + (valid_for or dt.timedelta(hours=settings.ENROLMENT_CODE_HOURS)),
    )
    record(
        organisation=organisation,
        actor=actor,
        action="enrolment_code.issued",
        obj=entry,
        details={"team": team.name, "expires_at": entry.expires_at.isoformat()},
    )
    return entry, code


class EnrolmentRefused(KluisError):
    status = 400
    code = "enrolment-code-invalid"
    title = "Enrolment refused"


class InvalidPublicKey(KluisError):
    status = 400
    code = "camera-key-invalid"
    title = "Camera key refused"


def enrol_camera(*, code: str, serial: str, public_key: bytes) -> Camera:
    """A camera presents a code and its own public key; it is registered to the code's team.

    A camera already registered with this serial (by an administrator) is enrolled in place,
    but only within the code's organisation and only once: a retired, enrolled or foreign
    camera cannot enrol again with a fresh code (ORG-5). The key must be a canonical Ed25519
    point of large order (`keys.check_camera_public_key`).

    A refusal is recorded (CAMERA_ENROLMENT_REFUSED) in its own transaction, after the
    enrolment's has rolled back: in the code's organisation when the code is known, else in
    the installation chain. Enrolment needs a valid one-time code first, so an unauthenticated
    flood can only reach the installation chain; it is bounded like camera auth failures.
    """
    try:
        return _enrol_camera(code=code, serial=serial, public_key=public_key)
    except KluisError as exc:
        entry = EnrolmentCode.objects.select_related("organisation").filter(
            code_sha256=hash_code(code)
        )
        org = entry[0].organisation if entry else None
        refusal_recorded(
            org,
            AuditEvent.CAMERA_ENROLMENT_REFUSED,
            key=f"enrol:{org.pk if org else '-'}:{serial}",
            actor_label=f"camera {serial}"[:200],
            details={
                "serial": serial[:64],
                "code": exc.code,
                "reason": str(exc.detail)[:300],
                "public_key": bytes(public_key).hex()[:64],
            },
        )
        raise


@transaction.atomic
def _enrol_camera(*, code: str, serial: str, public_key: bytes) -> Camera:
    try:
        check_camera_public_key(public_key)
    except InvalidCameraKey as exc:
        raise InvalidPublicKey(
            _(
                "This public key cannot be used for a camera: %(why)s. Generate a new Ed25519 "
                "key pair on the camera and enrol again."
            )
            % {"why": str(exc)}
        )
    entry = (
        EnrolmentCode.objects.select_for_update()
        .select_related("organisation", "team")
        .filter(code_sha256=hash_code(code))
        .first()
    )
    moment = now()
    if entry is None or entry.used_at is not None or entry.expires_at <= moment:
        raise EnrolmentRefused(
            _(
                "This enrolment code is wrong, already used or expired. Ask a functional "
                "administrator for a new code."
            )
        )
    org = entry.organisation
    camera = Camera.objects.select_for_update().filter(serial=serial).first()
    if camera is not None and (
        camera.organisation_id != org.pk or camera.status != Camera.Status.REGISTERED
    ):
        raise Conflict(
            _(
                "A camera with serial %(serial)s is already enrolled, retired or registered "
                "elsewhere; it cannot enrol with this code."
            )
            % {"serial": serial},
            code="camera-not-enrollable",
        )
    if Camera.objects.filter(public_key=public_key).exists():
        raise Conflict(
            _("This public key belongs to another camera; generate a new key."),
            code="camera-key-in-use",
        )
    if camera is None:
        camera = Camera(organisation=org, team=entry.team, serial=serial, label=serial)
    camera.team = entry.team
    camera.public_key = public_key
    camera.status = Camera.Status.ENROLLED
    camera.enrolled_at = moment
    camera.full_clean()
    camera.save()
    entry.used_at = moment
    entry.camera = camera
    entry.save(update_fields=["used_at", "camera"])
    key = ensure_organisation_key(org)
    record(
        organisation=org,
        actor=None,
        actor_label=camera_label(camera),
        action="camera.enrolled",
        obj=camera,
        details={
            "serial": serial,
            "team": entry.team.name,
            "public_key": bytes(public_key).hex(),
            "enrolment_code": entry.pk,
            "issued_by": str(entry.issued_by_id) if entry.issued_by_id else None,
            "organisation_key": bytes(key.public_key).hex(),
        },
    )
    return camera
