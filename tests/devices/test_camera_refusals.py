"""Attacks on camera enrolment and signed requests, replayed: refused cleanly and audited."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kluis.custody.events import AuditEvent
from kluis.custody.models import AuditEntry
from kluis.custody.standalone_verify import INSTALLATION_CHAIN
from kluis.devices import actions
from kluis.devices.keys import InvalidCameraKey, check_camera_public_key
from kluis.devices.models import Camera, RefusalWindow
from kluis.organisations.models import Team
from kluis.sealed.keys import generate_camera_keypair
from tests.recordings.helpers import DjangoTransport, Offloader, SimCamera

IDENTITY = bytes.fromhex("01" + "00" * 31)

# The eight points of small order (orders 1, 2, 4 and 8), as libsodium's blocklist and the
# RFC 8032 literature list them, and encodings of them that are not canonical.
SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",  # identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2 (y = -1)
    "0000000000000000000000000000000000000000000000000000000000000000",  # order 4, all zero
    "0000000000000000000000000000000000000000000000000000000000000080",  # order 4, -x
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  # order 8
]
NON_CANONICAL = [
    "0100000000000000000000000000000000000000000000000000000000000080",  # identity, x = -0
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  # order 2, x = -0
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p (is 0)
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p + 1 (is 1)
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = 2^255 - 1
    "0200000000000000000000000000000000000000000000000000000000000000",  # not on the curve
]


@pytest.mark.parametrize("key", SMALL_ORDER + NON_CANONICAL)
def test_small_order_and_non_canonical_keys_are_not_camera_keys(key):
    with pytest.raises(InvalidCameraKey):
        check_camera_public_key(bytes.fromhex(key))


def test_real_camera_keys_pass_the_check():
    for _ in range(20):
        check_camera_public_key(generate_camera_keypair().public_key)


def _code(org):
    return actions.issue_enrolment_code(org, Team.objects.filter(organisation=org).first())[1]


class ForgedKey(Ed25519PrivateKey):
    """What an attacker holds for the identity key: a "signature" (R = identity, S = 0) that
    OpenSSL accepts for every message under that public key. No private key is needed."""

    def public_key(self):
        return Ed25519PublicKey.from_public_bytes(IDENTITY)

    def sign(self, data):
        return IDENTITY + bytes(32)

    def private_bytes(self, *a, **kw):  # pragma: no cover
        raise NotImplementedError

    def private_bytes_raw(self):  # pragma: no cover
        raise NotImplementedError

    def __copy__(self):  # pragma: no cover
        return self

    def __deepcopy__(self, memo):  # pragma: no cover
        return self


@pytest.mark.rule("ORG-5")
@pytest.mark.parametrize("key", SMALL_ORDER + NON_CANONICAL[:3])
def test_a_camera_cannot_enrol_with_an_all_zero_public_key(client, make_org, key):
    org = make_org()
    camera = SimCamera.new()
    camera.public_key = bytes.fromhex(key)
    off = Offloader(DjangoTransport(client), camera)
    status, answer = off.enrol(_code(org))
    assert status == 400 and answer["code"] == "camera-key-invalid", answer
    assert not Camera.objects.filter(serial=camera.serial).exists()
    refusal = AuditEntry.objects.get(action=AuditEvent.CAMERA_ENROLMENT_REFUSED)
    assert refusal.organisation == org
    assert json.loads(refusal.details_json)["code"] == "camera-key-invalid"
    # The code was not used up by the refusal: the camera enrols with a real key.
    camera.public_key = generate_camera_keypair().public_key
    assert off.enrol(_code(org))[0] == 201


@pytest.mark.rule("ORG-5", "CAM-3")
def test_a_forged_request_and_recording_with_a_small_order_key_are_refused(enrol, footage_store):
    """A camera enrolled with the identity key before enrolment checked keys: forged requests
    and a forged sealed recording both verify with OpenSSL, and are refused anyway."""
    from kluis.recordings import actions as rec_actions
    from kluis.recordings import ingest
    from kluis.recordings.ingest import UploadRejected
    from kluis.recordings.models import Recording

    off, camera, org = enrol()
    Camera.objects.filter(pk=camera.camera_id).update(public_key=IDENTITY)
    forged = ForgedKey.__new__(ForgedKey)
    Ed25519PublicKey.from_public_bytes(IDENTITY).verify(forged.sign(b"x"), b"anything")

    # A forged signed request.
    stamp, nonce, body_sha = str(int(time.time())), "cd" * 16, "e3b0c442" + "0" * 56
    headers = {
        "X-Kluis-Camera": camera.camera_id,
        "X-Kluis-Timestamp": stamp,
        "X-Kluis-Nonce": nonce,
        "X-Kluis-Content-SHA256": body_sha,
        "X-Kluis-Signature": base64.b64encode(forged.sign(b"")).decode(),
    }
    status, answer = off.t.request(camera, "GET", "/api/v1/cameras/me/", headers=headers)
    assert status == 401 and answer["code"] == "camera-key-invalid"

    # A forged sealed recording, handed straight to ingest.
    rid, data = camera.seal(b"forged footage " * 5000, private_key=forged)
    cam = Camera.objects.get(pk=camera.camera_id)
    import hashlib

    upload, _ = rec_actions.start_upload(
        cam, recording_id=rid, size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )
    ingest.staged_path(upload).write_bytes(data)
    with pytest.raises(UploadRejected) as refused:
        ingest.complete(upload)
    assert refused.value.code == "recording-forged"
    assert not Recording.objects.filter(pk=rid).exists()
    assert org is not None


@pytest.mark.rule("ORG-5")
def test_a_non_ascii_digit_in_the_timestamp_is_refused_cleanly(enrol):
    off, camera, org = enrol()
    path = "/api/v1/cameras/me/"
    for stamp in ("٣" * 10, "١٧٦" + str(int(time.time()))[3:], "²", "1" * 400):
        headers = {**camera.headers("GET", path, b""), "X-Kluis-Timestamp": stamp}
        status, answer = off.t.request(camera, "GET", path, headers=headers)
        assert status == 401 and answer["code"] == "camera-clock", (stamp, answer)


@pytest.mark.rule("ORG-5")
def test_camera_auth_failures_are_audited_once_per_camera_and_minute(enrol):
    off, camera, org = enrol()
    path = "/api/v1/cameras/me/"
    forger = SimCamera.new()
    forger.camera_id = camera.camera_id
    for _ in range(25):
        status, _answer = off.t.request(forger, "GET", path)
        assert status == 401
    entries = AuditEntry.objects.filter(action=AuditEvent.CAMERA_AUTH_FAILED)
    assert entries.count() == 1
    entry = entries.get()
    assert entry.organisation == org
    details = json.loads(entry.details_json)
    assert details["code"] == "camera-signature-invalid" and details["camera"] == camera.camera_id
    assert RefusalWindow.objects.get(source=details["source"]).count == 25

    # An unknown camera goes to the installation chain, per address.
    stranger = SimCamera.new()
    stranger.camera_id = "00000000-0000-4000-8000-000000000000"
    for _ in range(5):
        assert off.t.request(stranger, "GET", path)[0] == 401
    unknown = AuditEntry.objects.filter(
        action=AuditEvent.CAMERA_AUTH_FAILED, chain=INSTALLATION_CHAIN
    )
    assert unknown.count() == 1


def test_a_flood_from_many_sources_is_bounded(db):
    for n in range(actions.REFUSALS_AUDITED_PER_MINUTE + 40):
        with __import__("django.db", fromlist=["transaction"]).transaction.atomic():
            actions.refusal_recorded(
                None,
                AuditEvent.CAMERA_AUTH_FAILED,
                key=f"address:10.0.{n // 256}.{n % 256}",
                actor_label="unknown camera",
                details={},
            )
    assert (
        AuditEntry.objects.filter(action=AuditEvent.CAMERA_AUTH_FAILED).count()
        == actions.REFUSALS_AUDITED_PER_MINUTE + 1
    )
