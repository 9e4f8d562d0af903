"""Factories that build real objects through the actions layer, as production code does."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools

from kluis.core.clock import today
from kluis.organisations import actions
from kluis.organisations.models import Organisation, Team, User
from tests.sealed.helpers import seal_footage

_counter = itertools.count(1)


def make_organisation(slug: str | None = None, preset: str = "alphen", teams=("Handhaving",)):
    """An organisation with one municipality and the named teams."""
    n = next(_counter)
    slug = slug or f"org-{n}"
    org = actions.create_organisation(name=f"Organisatie {slug}", slug=slug, preset_key=preset)
    municipality = actions.add_municipality(org, name=f"Gemeente {slug}", code=f"{n:04d}")
    for name in teams:
        actions.add_team(org, name=name, municipality=municipality)
    return org


def make_person(
    org: Organisation,
    role: str,
    username: str | None = None,
    team: str | None = None,
    valid_from: dt.date | None = None,
    password: str = "correct horse battery",
) -> User:
    """A person holding `role` in `org` from `valid_from` (default: a year ago)."""
    username = username or f"{role}-{next(_counter)}"
    user, _ = User.objects.get_or_create(username=username, defaults={"first_name": username})
    user.set_password(password)
    user.save()
    team_obj = Team.objects.get(organisation=org, name=team) if team else None
    actions.grant_role(
        org, user, role, team=team_obj, valid_from=valid_from or today() - dt.timedelta(days=365)
    )
    return user


def make_reporting_line(org, officer, manager, kind="manager", valid_from=None, valid_until=None):
    return actions.assign_manager(
        org,
        officer=officer,
        manager=manager,
        kind=kind,
        valid_from=valid_from or today() - dt.timedelta(days=365),
        valid_until=valid_until,
    )


def in_service_since(camera, when) -> None:
    """Backdate a test camera's enrolment: footage older than a fresh enrolment is otherwise
    flagged by ingest as an implausible clock."""
    type(camera).objects.filter(pk=camera.pk).update(enrolled_at=when)
    camera.refresh_from_db()


def make_camera(org, team_name: str | None = None, serial: str | None = None):
    """A camera enrolled by code with its own Ed25519 key: returns (camera, private_key)."""
    from kluis.devices import actions as devices
    from kluis.sealed import generate_camera_keypair

    team = Team.objects.filter(
        organisation=org, **({"name": team_name} if team_name else {})
    ).first()
    _entry, code = devices.issue_enrolment_code(org, team)
    pair = generate_camera_keypair()
    private, public = pair
    camera = devices.enrol_camera(
        code=code, serial=serial or f"CAM-{next(_counter):05d}", public_key=public
    )
    _camera_keys[camera.pk] = private
    return camera, private


_camera_keys: dict = {}


def make_recording(
    org,
    officer,
    *,
    started_at=None,
    seconds: int = 60,
    payload: bytes | None = None,
    includes_colleagues: bool = False,
    shift_end=None,
    camera=None,
):
    """A real recording: sealed on a (new) camera, assigned to `officer`, ingested and stored."""
    from kluis.core.clock import now
    from kluis.devices import actions as devices
    from kluis.devices.models import CameraAssignment

    started_at = started_at or now() - dt.timedelta(minutes=30)
    shift = CameraAssignment.objects.filter(
        officer=officer, shift_start__lte=started_at, shift_end__gt=started_at
    ).first()
    if shift is not None and shift.camera_id in _camera_keys:
        # The officer already wears a camera in this shift: the recording is made with it.
        camera, private = shift.camera, _camera_keys[shift.camera_id]
    else:
        made = camera is None
        camera, private = camera or make_camera(org)
        if made and camera.enrolled_at is not None and camera.enrolled_at > started_at:
            # A camera made for footage of the past was in service then (ingest flags a start
            # before enrolment as an implausible clock).
            in_service_since(camera, started_at - dt.timedelta(days=1))
        devices.assign_camera(
            camera,
            officer,
            shift_start=started_at - dt.timedelta(minutes=1),
            shift_end=shift_end or started_at + dt.timedelta(hours=6),
        )
    org_key = devices.ensure_organisation_key(org)
    rid, data = seal_footage(
        payload if payload is not None else b"\x00\x00\x00\x18ftypisom" + bytes(4096),
        organisation_public_key=bytes(org_key.public_key),
        camera_private_key=private,
        organisation_id=str(org.pk),
        camera_id=str(camera.pk),
        started_at=started_at,
        seconds=seconds,
        pre_record_seconds=org.policy.pre_record_seconds,
        metadata={"colleagues": includes_colleagues},
    )
    return deliver(camera, rid, data)


def deliver(camera, recording_id, data: bytes, piece: int = 1024 * 1024):
    """Sealed bytes into the server the way a dock upload goes (start_upload, then PATCH bodies
    of `piece` bytes to ingest, which completes it on the last), without HTTP: re-keyed, stored,
    key in the key store."""
    from kluis.recordings import actions as rec_actions
    from kluis.recordings import ingest
    from kluis.recordings.models import Recording

    upload, _created = rec_actions.start_upload(
        camera, recording_id=recording_id, size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )
    for offset in range(0, len(data), piece):
        body = data[offset : offset + piece]
        upload = ingest.receive(
            upload,
            offset=offset,
            stream=io.BytesIO(body),
            length=len(body),
            body_sha256=hashlib.sha256(body).hexdigest(),
        )
    return Recording.objects.get(pk=recording_id)

