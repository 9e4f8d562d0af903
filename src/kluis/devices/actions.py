"""Changes to cameras. Each action checks permission and writes its audit entry (ORG-5).

`actor=None` is the system (setup commands, the camera itself through the API; cameras are
named in the audit trail by `actor_label`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.problems import Conflict, KluisError
from kluis.custody.events import AuditEvent
from kluis.custody.log import record
from kluis.organisations.models import Membership, Organisation, Role
from kluis.organisations.permissions import require_unless_system
from kluis.sealed.keys import generate_organisation_keypair

from .keys import InvalidCameraKey, check_camera_public_key
from .keystore import get_keystore
from .models import Camera, CameraAssignment, CameraNonce, EnrolmentCode, OrganisationKey

# Letters and digits that cannot be misread for each other on a label or a phone call.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def camera_label(camera: Camera) -> str:
    return f"camera {camera.serial}"


@transaction.atomic
def register_camera(organisation, team, *, serial: str, label: str = "", actor=None) -> Camera:
    """Add a camera to an organisation's pool, before it is enrolled with its own key."""
    require_unless_system(actor, "organisations.manage", organisation)
    camera = Camera(organisation=organisation, team=team, serial=serial, label=label)
    camera.full_clean()
    camera.save()
    record(
        organisation=organisation,
        actor=actor,
        action="camera.registered",
        obj=camera,
        details={"serial": serial, "team": team.name},
    )
    return camera


def ensure_organisation_key(organisation: Organisation) -> OrganisationKey:
    """The organisation's sealing key pair, created on first use (the system does this)."""
    existing = OrganisationKey.objects.filter(organisation=organisation).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        # Lock the organisation row so two first enrolments create one key, not two.
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        existing = OrganisationKey.objects.filter(organisation=organisation).first()
        if existing is not None:
            return existing
        pair = generate_organisation_keypair()
        name = f"org/{organisation.pk}/x25519-{secrets.token_hex(4)}"
        get_keystore().put(name, pair.private_key)
        key = OrganisationKey.objects.create(
            organisation=organisation,
            public_key=pair.public_key,
            keystore_name=name,
            created_at=now(),
        )
        record(
            organisation=organisation,
            actor=None,
            action="organisation_key.created",
            obj=key,
            details={"public_key": pair.public_key.hex(), "keystore": name},
        )
        return key


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


@transaction.atomic
def retire_camera(camera: Camera, *, actor=None, reason: str = "") -> Camera:
    """A retired camera can never deliver footage again (ORG-5)."""
    require_unless_system(actor, "devices.manage", camera.organisation)
    camera = Camera.objects.select_for_update().get(pk=camera.pk)
    if camera.status == Camera.Status.RETIRED:
        return camera
    camera.status = Camera.Status.RETIRED
    camera.retired_at = now()
    camera.save(update_fields=["status", "retired_at"])
    record(
        organisation=camera.organisation,
        actor=actor,
        action="camera.retired",
        obj=camera,
        details={"serial": camera.serial, "reason": reason},
    )
    return camera


@transaction.atomic
def assign_camera(
    camera: Camera, officer, *, shift_start: dt.datetime, shift_end: dt.datetime, actor=None
) -> CameraAssignment:
    """Hand a camera to an officer for one shift; its recordings then carry that officer."""
    require_unless_system(actor, "devices.assign", camera.organisation)
    camera = Camera.objects.select_for_update().get(pk=camera.pk)
    if camera.status == Camera.Status.RETIRED:
        raise Conflict(_("A retired camera cannot be assigned."), code="camera-retired")
    if shift_end <= shift_start:
        raise KluisError(_("The shift must end after it starts."), code="shift-order")
    day = shift_start.date()
    is_officer = (
        Membership.objects.active(day)
        .filter(user=officer, organisation_id=camera.organisation_id, role=Role.OFFICER)
        .exists()
    )
    if not is_officer:
        raise KluisError(
            _("%(person)s is not an officer of this organisation on that day.")
            % {"person": officer},
            code="not-an-officer",
        )
    overlap = Q(shift_start__lt=shift_end, shift_end__gt=shift_start)
    if CameraAssignment.objects.filter(overlap, camera=camera).exists():
        raise Conflict(
            _("This camera is already assigned for part of that shift."),
            code="assignment-overlap",
        )
    if CameraAssignment.objects.filter(overlap, officer=officer).exists():
        raise Conflict(
            _("This officer already wears another camera during part of that shift."),
            code="assignment-overlap",
        )
    assignment = CameraAssignment.objects.create(
        organisation=camera.organisation,
        camera=camera,
        officer=officer,
        shift_start=shift_start,
        shift_end=shift_end,
        assigned_by=actor,
    )
    record(
        organisation=camera.organisation,
        actor=actor,
        action="camera.assigned",
        obj=assignment,
        details={
            "camera": camera.serial,
            "officer": str(officer.pk),
            "shift_start": shift_start.isoformat(),
            "shift_end": shift_end.isoformat(),
        },
    )
    return assignment


@transaction.atomic
def end_assignment(assignment: CameraAssignment, *, at: dt.datetime | None = None, actor=None):
    """End a shift early (the camera was handed back)."""
    require_unless_system(actor, "devices.assign", assignment.organisation)
    end = at or now()
    if end <= assignment.shift_start:
        raise KluisError(_("The shift cannot end before it starts."), code="shift-order")
    if end < assignment.shift_end:
        assignment.shift_end = end
        assignment.save(update_fields=["shift_end"])
        record(
            organisation=assignment.organisation,
            actor=actor,
            action="camera.assignment_ended",
            obj=assignment,
            details={"shift_end": end.isoformat()},
        )
    return assignment


def assignment_at(camera: Camera, moment: dt.datetime) -> CameraAssignment | None:
    """The shift during which `moment` falls for this camera, if any."""
    return (
        CameraAssignment.objects.filter(
            camera=camera, shift_start__lte=moment, shift_end__gt=moment
        )
        .select_related("officer")
        .first()
    )


def remember_nonce(camera: Camera, nonce: str) -> bool:
    """Store a request nonce; False when this camera used it before (a replay).

    Nonces older than twice the clock window can never be accepted again (their timestamp is
    stale), so they are pruned here rather than by a separate job.
    """
    moment = now()
    horizon = moment - dt.timedelta(seconds=2 * settings.CAMERA_CLOCK_SKEW_SECONDS)
    try:
        with transaction.atomic():
            CameraNonce.objects.create(camera=camera, nonce=nonce, seen_at=moment)
    except IntegrityError:
        return False
    CameraNonce.objects.filter(camera=camera, seen_at__lt=horizon).delete()
    return True


# At most this many refusals per chain per minute become audit entries (each of a different
# source); further sources in that minute are only counted, under one overflow source.
REFUSALS_AUDITED_PER_MINUTE = 60


def refusal_recorded(organisation, action: str, *, key: str, actor_label: str, details) -> bool:
    """Audit a refusal (camera auth or enrolment failure) without letting a flood fill the trail.

    Aggregated per source and minute: `key` names the source (camera id or address). The first
    refusal of a source in a minute is written to the audit trail, with the minute it opens;
    every further one in that minute only increments `RefusalWindow.count`, and the next entry
    of that source reports how many were counted in its previous minute. Past
    REFUSALS_AUDITED_PER_MINUTE sources per chain and minute (an attacker varying addresses),
    refusals are counted under one overflow source. Runs in its own transaction: the refused
    request's own transaction has rolled back. True when an audit entry was written.
    """
    from django.db.models import F

    from kluis.custody.models import chain_key

    from .models import RefusalWindow

    moment = now()
    minute = moment.replace(second=0, microsecond=0)
    chain = chain_key(organisation)
    source = f"{chain}:{key}"[:200]
    with transaction.atomic():
        if not RefusalWindow.objects.filter(source=source, minute=minute).exists():
            opened = RefusalWindow.objects.filter(chain=chain, minute=minute).count()
            if opened >= REFUSALS_AUDITED_PER_MINUTE:
                source = f"{chain}:overflow"
        window, created = RefusalWindow.objects.get_or_create(
            source=source, minute=minute, defaults={"chain": chain, "count": 1}
        )
        if not created:
            RefusalWindow.objects.filter(pk=window.pk).update(count=F("count") + 1)
            return False
        previous = (
            RefusalWindow.objects.filter(source=source, minute__lt=minute)
            .order_by("-minute")
            .values_list("count", flat=True)
            .first()
        )
        RefusalWindow.objects.filter(minute__lt=moment - dt.timedelta(days=1)).delete()
        record(
            organisation=organisation,
            actor=None,
            actor_label=actor_label[:200],
            action=action,
            details={
                **details,
                "source": source,
                "window": minute.isoformat(),
                "refused_in_previous_window": previous,
                "overflow": source.endswith(":overflow"),
            },
        )
        return True
