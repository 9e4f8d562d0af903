"""Ingest of sealed recordings: verified, stored once, never plaintext, or refused whole."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import uuid

import pytest
from django.conf import settings

from kluis.custody.models import AuditEntry
from kluis.recordings.models import Recording, Upload
from kluis.recordings.playback import read_range
from kluis.recordings.storage import get_storage

FOOTAGE = os.urandom(300_000) + b"PLAINTEXT-MARKER-" * 1000


def stored_objects():
    """Every footage object in the configured store (to prove nothing was left behind)."""
    store = get_storage(settings.STORAGE_URL)
    if settings.STORAGE_URL.startswith("file://"):
        root = store.root
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    listing = store.client.list_objects_v2(Bucket=store.bucket)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def staged_files():
    path = settings.UPLOAD_DIR
    return sorted(p.name for p in path.glob("*.part")) if path.exists() else []


def assert_nothing_stored(rid):
    assert not Recording.objects.filter(pk=rid).exists()
    assert stored_objects() == []


@pytest.mark.rule("CAM-2", "CAM-3", "STO-1")
def test_upload_is_verified_stored_and_receipted(enrol, footage_store):
    off, camera, org = enrol()
    rid, data = camera.seal(FOOTAGE, metadata={"warning": "after", "colleagues_present": True})
    status, answer = off.upload(rid, data)
    assert status == 200 and answer["state"] == "complete", answer
    camera.check_receipt(answer["receipt"], recording_id=rid, data=data)

    rec = Recording.objects.get(pk=rid)
    assert rec.organisation == org and rec.complete
    assert rec.sha256 == hashlib.sha256(data).hexdigest() and rec.size == len(data)
    assert rec.includes_colleagues and rec.warning == "after"
    assert rec.retention_until - rec.started_at == __import__("datetime").timedelta(
        days=org.policy.retention_days
    )
    assert [o.split("/")[-1] for o in stored_objects()] == [f"{rid}.kluis"]
    assert staged_files() == []
    # STO-1: the stored object is sealed, not plaintext; STO-3: it decrypts in memory.
    with get_storage(rec.storage_url).open(rec.storage_key) as fh:
        stored = fh.read()
    assert b"PLAINTEXT-MARKER" not in stored and FOOTAGE[:64] not in stored
    assert read_range(rec, 0, len(FOOTAGE)) == FOOTAGE
    assert read_range(rec, 299_990, 300_030) == FOOTAGE[299_990:300_030]
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "upload.started" in actions and "recording.ingested" in actions

    # Idempotent on the recording id: announcing it again returns the same receipt.
    status, again = off.announce(rid, data)
    assert status == 200 and again["state"] == "complete"
    assert again["receipt"] == answer["receipt"]


@pytest.mark.rule("CAM-2")
def test_upload_cut_at_a_random_byte_resumes(enrol, footage_store):
    off, camera, _org = enrol()
    rid, data = camera.seal(FOOTAGE)
    cut = random.randrange(1, len(data) - 1)
    status, answer = off.announce(rid, data)
    assert status == 201
    # The first piece arrives whole up to the cut; the next one is torn off mid-body.
    assert off.patch(rid, 0, data[:cut])[0] == 200
    torn = data[cut : cut + 5000]
    path = f"/api/v1/ingest/uploads/{rid}/"
    hdrs = {**camera.headers("PATCH", path, torn), "Upload-Offset": str(cut)}
    status, answer = off.t.request(  # signed for the whole piece, only half of it arrives
        camera,
        "PATCH",
        path,
        torn[: len(torn) // 2],
        content_type="application/offset+octet-stream",
        headers=hdrs,
    )
    assert status == 400 and answer["code"] == "body-hash-mismatch"
    assert Upload.objects.get(pk=rid).offset == cut
    assert_nothing_stored(rid)  # a truncated upload is never visible
    status, answer = off.status(rid)
    assert answer["offset"] == cut and answer["state"] == "receiving"
    status, answer = off.upload(rid, data)
    assert status == 200 and answer["state"] == "complete"
    camera.check_receipt(answer["receipt"], recording_id=rid, data=data)
    assert len(stored_objects()) == 1


def test_concurrent_uploads_of_one_recording_store_it_once(transactional_db, enrol, footage_store):
    """Three threads upload one recording at once (PostgreSQL; on SQLite test_crash.py's two
    docks against real server processes cover the same, so this carries no rule ID)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        # SQLite's shared-cache in-memory test database raises "table is locked" between
        # threads instead of waiting; the crash test runs concurrent server processes on a file.
        pytest.skip("thread concurrency is tested on PostgreSQL")
    off, camera, _org = enrol()
    rid, data = camera.seal(FOOTAGE)
    results = []

    def run():
        try:
            results.append(off.upload(rid, data))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    receipts = [a["receipt"] for s, a in results if s == 200]
    assert receipts and all(r == receipts[0] for r in receipts)
    assert Recording.objects.filter(pk=rid).count() == 1
    assert len(stored_objects()) == 1


@pytest.mark.rule("CAM-2")
def test_incomplete_recording_is_taken_in_and_flagged(enrol, footage_store):
    off, camera, _org = enrol()
    rid, data = camera.seal(FOOTAGE, finalize=False)
    status, answer = off.upload(rid, data)
    assert status == 200 and answer["state"] == "complete"
    rec = Recording.objects.get(pk=rid)
    assert not rec.complete and rec.stopped_at is None and rec.incomplete_reason
    whole = (len(FOOTAGE) // (64 * 1024)) * 64 * 1024
    assert rec.plaintext_size == whole
    assert read_range(rec, 0, whole) == FOOTAGE[:whole]


@pytest.mark.rule("CAM-3")
@pytest.mark.parametrize("damage", ["corrupt", "resigned", "hash", "not-sealed"])
def test_bad_recordings_are_refused_and_leave_nothing(enrol, footage_store, damage):
    from tests.recordings.helpers import SimCamera

    off, camera, _org = enrol()
    rid, data = camera.seal(FOOTAGE)
    announced = None
    if damage == "corrupt":
        pos = len(data) // 2
        data = data[:pos] + bytes([data[pos] ^ 1]) + data[pos + 1 :]
        expected = "recording-tampered"
    elif damage == "resigned":
        # Same ids, but signed by a key that is not the camera's enrolled key.
        rid, data = camera.seal(FOOTAGE, private_key=SimCamera.new().private_key)
        expected = "recording-foreign"
    elif damage == "hash":
        announced = "0" * 64
        expected = "upload-hash-mismatch"
    else:
        data = b"just some bytes, not a sealed recording" * 100
        expected = "recording-not-sealed"
    status, answer = off.announce(rid, data, sha=announced)
    assert status == 201
    status, answer = off.patch(rid, 0, data)
    assert status == 422, answer
    assert answer["code"] == expected and answer["detail"]
    assert not Upload.objects.filter(pk=rid).exists()
    assert_nothing_stored(rid)
    assert staged_files() == []
    assert AuditEntry.objects.filter(action="upload.rejected").exists()


@pytest.mark.rule("ORG-5")
def test_recording_of_another_organisation_is_refused(enrol, footage_store, make_org):
    off, camera, _org = enrol()
    other_off, other_camera, other_org = enrol()
    # Sealed to the other organisation's key and naming it: not this camera's organisation.
    rid, data = camera.seal(
        FOOTAGE,
        organisation_public_key=other_camera.organisation_public_key,
        organisation_id=other_camera.organisation_id,
    )
    off.announce(rid, data)
    status, answer = off.patch(rid, 0, data)
    assert status == 422 and answer["code"] == "recording-foreign"
    # Naming another camera is refused as well.
    rid, data = camera.seal(FOOTAGE, camera_id=other_camera.camera_id)
    off.announce(rid, data)
    status, answer = off.patch(rid, 0, data)
    assert status == 422 and answer["code"] == "recording-foreign"
    assert stored_objects() == []


@pytest.mark.rule("CAM-2")
def test_truncated_and_oversized_uploads_are_refused(enrol, footage_store, settings):
    off, camera, _org = enrol()
    rid, data = camera.seal(FOOTAGE)
    off.announce(rid, data)
    # More bytes than announced.
    status, answer = off.patch(rid, 0, data + b"extra")
    assert status == 400 and answer["code"] == "upload-too-long"
    # A recording larger than the server takes.
    settings.UPLOAD_MAX_BYTES = 1000
    status, answer = off.announce(str(uuid.uuid4()), data)
    assert status == 413 and answer["code"] == "upload-too-large"
    # A PATCH larger than allowed.
    settings.UPLOAD_PATCH_MAX_BYTES = 1000
    status, answer = off.patch(rid, 0, data[:2000])
    assert status == 413 and answer["code"] == "upload-patch-too-large"
    assert Upload.objects.get(pk=rid).offset == 0
    assert_nothing_stored(rid)


@pytest.mark.rule("CAM-2")
def test_duplicate_with_other_content_is_refused(enrol, footage_store):
    off, camera, _org = enrol()
    rid, data = camera.seal(FOOTAGE)
    assert off.upload(rid, data)[1]["state"] == "complete"
    _rid, other = camera.seal(FOOTAGE[:1000], recording_id=rid)
    status, answer = off.announce(rid, other)
    assert status == 409 and answer["code"] == "upload-mismatch"
    assert len(stored_objects()) == 1


def test_wrong_offset_gets_the_servers_offset(enrol, footage_store):
    off, camera, _org = enrol()
    rid, data = camera.seal(FOOTAGE)
    off.announce(rid, data)
    assert off.patch(rid, 0, data[:1000])[0] == 200
    status, answer = off.patch(rid, 5000, data[5000:6000])
    assert status == 409 and answer["offset"] == 1000


@pytest.mark.rule("CAM-2")
def test_store_failure_after_rekeying_is_retried_without_loss(enrol, footage_store, monkeypatch):
    """The staged copy has its wrapped key removed before storing; a retry must still pass."""
    from kluis.recordings.storage import Storage, StorageError

    off, camera, _org = enrol()
    rid, data = camera.seal(FOOTAGE)
    store = get_storage(settings.STORAGE_URL)
    real_put = type(store).put_file
    calls = []

    def failing_once(self, *args, **kw):
        calls.append(1)
        if len(calls) == 1:
            raise StorageError("store down")
        return real_put(self, *args, **kw)

    monkeypatch.setattr(type(store), "put_file", failing_once)
    assert isinstance(store, Storage)
    status, answer = off.upload(rid, data)
    assert status == 503 and answer["code"] == "storage-unavailable"
    assert not Recording.objects.filter(pk=rid).exists() and stored_objects() == []
    status, answer = off.upload(rid, data)  # the camera resends the last piece
    assert status == 200 and answer["state"] == "complete", answer
    camera.check_receipt(answer["receipt"], recording_id=rid, data=data)
    assert read_range(Recording.objects.get(pk=rid), 0, 100) == FOOTAGE[:100]


@pytest.mark.rule("RET-1")
def test_retention_counts_from_the_recording_date_never_later(enrol, footage_store):
    import datetime as dt

    from kluis.core.clock import now

    off, camera, org = enrol()
    ahead = now() + dt.timedelta(days=30)  # a camera clock running a month ahead
    rid, data = camera.seal(FOOTAGE[:10_000], started_at=ahead)
    assert off.upload(rid, data)[1]["state"] == "complete"
    rec = Recording.objects.get(pk=rid)
    assert rec.started_at == ahead.replace(microsecond=ahead.microsecond)
    assert rec.retention_until <= now() + dt.timedelta(days=org.policy.retention_days)


@pytest.mark.rule("ORG-5", "CAM-2")
def test_a_replayed_patch_is_refused_and_changes_nothing(enrol, footage_store):
    off, camera, _org = enrol()
    rid, data = camera.seal(FOOTAGE)
    off.announce(rid, data)
    path = f"/api/v1/ingest/uploads/{rid}/"
    piece = data[:50_000]
    hdrs = {**camera.headers("PATCH", path, piece), "Upload-Offset": "0"}
    kw = dict(content_type="application/offset+octet-stream", headers=hdrs)
    assert off.t.request(camera, "PATCH", path, piece, **kw)[0] == 200
    status, answer = off.t.request(camera, "PATCH", path, piece, **kw)  # the same request again
    assert status == 401 and answer["code"] == "camera-replay"
    assert Upload.objects.get(pk=rid).offset == 50_000
    assert_nothing_stored(rid)
