"""Cameras: enrolment by one-time code, signed requests, retirement, shifts (ORG-5)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kluis.core import clock
from kluis.core.problems import Conflict, NotAllowed
from kluis.custody.models import AuditEntry
from kluis.devices import actions
from kluis.devices.models import Camera, EnrolmentCode
from kluis.organisations.models import Role, Team
from tests.recordings.helpers import DjangoTransport, Offloader, SimCamera


def _code(org, **kw):
    return actions.issue_enrolment_code(org, Team.objects.filter(organisation=org).first(), **kw)


@pytest.mark.rule("ORG-5")
def test_enrolment_gives_the_camera_its_organisation_keys(enrol):
    off, camera, org = enrol()
    cam = Camera.objects.get(pk=camera.camera_id)
    assert cam.organisation == org and cam.status == Camera.Status.ENROLLED
    assert bytes(cam.public_key) == camera.public_key
    assert camera.organisation_public_key == bytes(org.sealing_key.public_key)
    assert len(camera.receipt_public_key) == 32
    assert camera.pre_record_seconds == org.policy.pre_record_seconds
    status, me = off.t.request(camera, "GET", "/api/v1/cameras/me/")
    assert status == 200 and me["camera_id"] == camera.camera_id and me["assignment"] is None
    assert AuditEntry.objects.filter(action="camera.enrolled", object_id=str(cam.pk)).exists()


@pytest.mark.rule("ORG-5")
def test_codes_are_hashed_single_use_and_expire(client, make_org):
    org = make_org()
    entry, code = _code(org)
    assert code not in entry.code_sha256 and len(code) == 14
    first = Offloader(DjangoTransport(client), SimCamera.new())
    assert first.enrol(code)[0] == 201
    again = Offloader(DjangoTransport(client), SimCamera.new())
    status, answer = again.enrol(code)
    assert status == 400 and answer["code"] == "enrolment-code-invalid"
    _entry, late = _code(org, valid_for=dt.timedelta(hours=1))
    clock.advance(dt.timedelta(hours=2))
    status, answer = again.enrol(late)
    assert status == 400 and answer["code"] == "enrolment-code-invalid"
    assert again.enrol("ABCD-EFGH-JKLM")[0] == 400
    assert EnrolmentCode.objects.filter(used_at__isnull=False).count() == 1


@pytest.mark.rule("ORG-5")
def test_only_functional_administrators_issue_codes(make_org, make_person):
    org = make_org()
    admin = make_person(org, Role.FUNCTIONAL_ADMIN)
    officer = make_person(org, Role.OFFICER)
    other_admin = make_person(make_org(), Role.FUNCTIONAL_ADMIN)
    team = Team.objects.filter(organisation=org).first()
    actions.issue_enrolment_code(org, team, actor=admin)
    for person in (officer, other_admin):
        with pytest.raises(NotAllowed):
            actions.issue_enrolment_code(org, team, actor=person)


@pytest.mark.rule("ORG-5")
def test_a_camera_of_another_organisation_cannot_enrol_here(client, make_org):
    org_a, org_b = make_org(), make_org()
    actions.register_camera(org_a, Team.objects.filter(organisation=org_a).first(), serial="SN-1")
    _entry, code = _code(org_b)
    status, answer = Offloader(DjangoTransport(client), SimCamera.new("SN-1")).enrol(code)
    assert status == 409 and answer["code"] == "camera-not-enrollable"


@pytest.mark.rule("ORG-5")
def test_unknown_retired_and_replayed_requests_are_refused(enrol):
    off, camera, org = enrol()
    path = "/api/v1/cameras/me/"
    # Unknown camera (right key shape, never enrolled).
    stranger = SimCamera.new()
    stranger.camera_id = "00000000-0000-4000-8000-000000000000"
    status, answer = off.t.request(stranger, "GET", path)
    assert status == 401 and answer["code"] == "camera-unknown"
    # Signed with another key.
    forger = SimCamera.new()
    forger.camera_id = camera.camera_id
    status, answer = off.t.request(forger, "GET", path)
    assert status == 401 and answer["code"] == "camera-signature-invalid"
    # A replayed nonce.
    assert off.t.request(camera, "GET", path, nonce="ab" * 16)[0] == 200
    status, answer = off.t.request(camera, "GET", path, nonce="ab" * 16)
    assert status == 401 and answer["code"] == "camera-replay"
    # A stale timestamp.
    camera.clock_offset = -1000
    status, answer = off.t.request(camera, "GET", path)
    assert status == 401 and answer["code"] == "camera-clock"
    camera.clock_offset = 0
    # No signature at all.
    status, answer = off.t.request(camera, "GET", path, signed=False)
    assert status in (401, 403)
    # A body that differs from its signed hash.
    hdrs = camera.headers("POST", "/api/v1/ingest/uploads/", b"{}")
    status, answer = off.t.request(
        camera, "POST", "/api/v1/ingest/uploads/", b'{"size": 1}', headers=hdrs
    )
    assert status == 400 and answer["code"] == "body-hash-mismatch"
    # Retired: refused for good.
    actions.retire_camera(Camera.objects.get(pk=camera.camera_id))
    status, answer = off.t.request(camera, "GET", path)
    assert status == 403 and answer["code"] == "camera-retired"
    rid, data = camera.seal(b"x" * 1000)
    status, answer = off.announce(rid, data)
    assert status == 403


@pytest.mark.rule("ORG-5", "ORG-1")
def test_a_camera_sees_only_its_own_uploads(enrol, footage_store):
    off_a, cam_a, org = enrol()
    off_b, cam_b, _ = enrol(org=org)
    rid, data = cam_a.seal(b"y" * 5000)
    assert off_a.announce(rid, data)[0] == 201
    assert off_b.status(rid)[0] == 404
    assert off_b.patch(rid, 0, data)[0] == 404
    status, answer = off_b.announce(rid, data)
    assert status == 409 and answer["code"] == "recording-id-taken"


def test_assignment_per_shift_names_the_officer(enrol, make_person, footage_store):
    from kluis.recordings.models import Recording
    from tests.recordings.helpers import STARTED

    off, camera, org = enrol()
    officer = make_person(org, Role.OFFICER)
    manager = make_person(org, Role.MANAGER)
    cam = Camera.objects.get(pk=camera.camera_id)
    shift = actions.assign_camera(
        cam,
        officer,
        shift_start=STARTED - dt.timedelta(hours=1),
        shift_end=STARTED + dt.timedelta(hours=7),
        actor=manager,
    )
    with pytest.raises(Conflict):
        actions.assign_camera(
            cam,
            make_person(org, Role.OFFICER),
            shift_start=STARTED,
            shift_end=STARTED + dt.timedelta(hours=1),
        )
    with pytest.raises(NotAllowed):
        actions.assign_camera(
            cam,
            officer,
            shift_start=STARTED + dt.timedelta(days=1),
            shift_end=STARTED + dt.timedelta(days=1, hours=1),
            actor=officer,
        )
    rid, data = camera.seal(b"z" * 3000)
    assert off.upload(rid, data)[1]["state"] == "complete"
    rec = Recording.objects.get(pk=rid)
    assert rec.officer == officer and rec.assignment == shift and rec.team == cam.team
    with clock.frozen_at(STARTED):
        status, me = off.t.request(camera, "GET", "/api/v1/cameras/me/")
    assert me["assignment"]["officer_id"] == str(officer.pk)
    assert json.dumps(me)


def test_demo_registration_still_works(make_org):
    org = make_org()
    cam = actions.register_camera(org, Team.objects.filter(organisation=org).first(), serial="D-1")
    assert cam.status == Camera.Status.REGISTERED and not cam.may_deliver
