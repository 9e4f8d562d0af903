"""A small world for retention tests: an organisation with its people, an enrolled camera and
recordings that went through the real ingest (sealed, re-keyed, stored, key in the key store).

Time is the one injectable clock, frozen at T0; tests move it with `clock.advance`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import pytest

from kluis.core import clock

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    """The clock stands still at T0 until a test moves it."""
    with clock.frozen_at(T0):
        yield


@pytest.fixture
def stores(settings, tmp_path):
    """Fresh local footage store, staging directory and key store for each test."""
    settings.STORAGE_URL = f"file://{tmp_path / 'footage'}"
    settings.UPLOAD_DIR = tmp_path / "incoming"
    settings.KEYSTORE_URL = f"file://{tmp_path / 'keys'}"
    settings.RETENTION_BRAKE_MINIMUM = 50
    return tmp_path


@dataclass
class Sealer:
    """Seals footage as an enrolled camera does (kluis.sealed), to the organisation's key."""

    camera_private_key: bytes
    camera_id: str
    organisation_id: str
    organisation_public_key: bytes

    def seal(self, footage: bytes, *, started_at: dt.datetime) -> tuple[str, bytes]:
        import io
        import uuid

        from kluis.sealed import SealedWriter

        rid = str(uuid.uuid4())
        f = io.BytesIO()
        w = SealedWriter(
            f,
            organisation_public_key=self.organisation_public_key,
            camera_private_key=self.camera_private_key,
            recording_id=rid,
            organisation_id=self.organisation_id,
            camera_id=self.camera_id,
            started_at=started_at,
            pre_record_seconds=30,
            chunk_size=1024,
            metadata={"warning": "before"},
        )
        w.write(footage)
        w.finalize(started_at + dt.timedelta(minutes=2))
        return rid, f.getvalue()


@dataclass
class World:
    org: object
    officer: object
    manager: object
    deputy: object
    privacy: object
    coordinator: object
    admin: object
    other_officer: object
    outsider: object
    camera: object
    test_camera: object
    recordings: list = field(default_factory=list)

    def record(self, started_at=None, *, footage: bytes | None = None, officer=True):
        """A recording by the officer's camera, ingested for real; returns the Recording."""
        from kluis.recordings import actions as rec_actions
        from kluis.recordings import ingest
        from kluis.recordings.models import Recording

        started_at = started_at or clock.now() - dt.timedelta(minutes=10)
        footage = footage or (b"bodycam footage " * 300 + started_at.isoformat().encode())
        rid, data = self.test_camera.seal(footage, started_at=started_at)
        upload, _new = rec_actions.start_upload(
            self.camera, recording_id=rid, size=len(data), sha256=hashlib.sha256(data).hexdigest()
        )
        ingest.staged_path(upload).write_bytes(data)
        rec_actions.advance_upload(upload, old_offset=0, new_offset=len(data))
        with ingest.upload_lock(upload):
            ingest.complete(upload)
        recording = Recording.objects.get(pk=rid)
        if not officer:
            Recording.objects.filter(pk=rid).update(officer=None, assignment=None)
            recording.refresh_from_db()
        self.recordings.append(recording)
        return recording


def build_world(preset: str = "alphen") -> World:
    from kluis.devices import actions as dev_actions
    from kluis.organisations.models import Role, Team
    from kluis.sealed import generate_camera_keypair
    from tests.factories import (
        in_service_since,
        make_organisation,
        make_person,
        make_reporting_line,
    )

    org = make_organisation(preset=preset)
    officer = make_person(org, Role.OFFICER)
    other_officer = make_person(org, Role.OFFICER)
    manager = make_person(org, Role.MANAGER)
    deputy = make_person(org, Role.DEPUTY_MANAGER)
    privacy = make_person(org, Role.PRIVACY_OFFICER)
    coordinator = make_person(org, Role.COMPLAINT_COORDINATOR)
    admin = make_person(org, Role.FUNCTIONAL_ADMIN)
    other_org = make_organisation(preset=preset)
    outsider = make_person(other_org, Role.MANAGER)
    make_reporting_line(org, officer, manager)
    make_reporting_line(org, officer, deputy, kind="deputy")
    make_reporting_line(org, other_officer, manager)

    team = Team.objects.filter(organisation=org).first()
    _entry, code = dev_actions.issue_enrolment_code(org, team)
    pair = generate_camera_keypair()
    camera = dev_actions.enrol_camera(
        code=code, serial=f"RET-{org.slug}", public_key=pair.public_key
    )
    # A camera in service for a year: retention tests seal footage weeks in the past, which
    # ingest would rightly call implausible for a camera enrolled a minute ago.
    in_service_since(camera, clock.now() - dt.timedelta(days=400))
    key = dev_actions.ensure_organisation_key(org)
    cam = Sealer(pair.private_key, str(camera.pk), str(org.pk), bytes(key.public_key))
    dev_actions.assign_camera(
        camera,
        officer,
        shift_start=clock.now() - dt.timedelta(days=300),
        shift_end=clock.now() + dt.timedelta(days=3650),
    )
    return World(
        org=org,
        officer=officer,
        manager=manager,
        deputy=deputy,
        privacy=privacy,
        coordinator=coordinator,
        admin=admin,
        other_officer=other_officer,
        outsider=outsider,
        camera=camera,
        test_camera=cam,
    )


@pytest.fixture
def world(db, frozen, stores):
    return build_world()


@pytest.fixture
def make_world(db, frozen, stores):
    return build_world
