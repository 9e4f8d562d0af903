"""Enrolment and offload through the dock against the reference server (ORG-5, CAM-2, CAM-3)."""

from __future__ import annotations

import stat
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kluis.camera.dock import DockClient, DockError
from kluis.camera.storage import CameraStorage

from .conftest import OFFICER_ID, OFFICER_NAME, camera_public_key, make_camera, open_recording


def record(storage, seconds=6.0, chunk_size=16 * 1024):
    camera = make_camera(storage, pre_record=2, chunk_size=chunk_size)
    camera.run(until=3, close=False)
    camera.press_record()
    camera.run(until=3 + seconds, close=False)
    camera.close()
    (rec,) = storage.recordings()
    return rec


def no_wait(_seconds):
    pass


@pytest.mark.rule("ORG-5")
def test_enrolment_makes_a_private_key_only_the_camera_can_read(tmp_path, server):
    st = CameraStorage(tmp_path / "cam")
    state = DockClient(st, server.url).enrol(server.issue_code(), "KL-0001")
    assert stat.S_IMODE(st.key_path.stat().st_mode) == 0o600
    assert state["camera_id"] in server.cameras
    assert server.cameras[state["camera_id"]]["public_key"] == camera_public_key(st)
    # Storage holds the key and the state, nothing else.
    assert sorted(p.name for p in st.root.iterdir()) == ["camera.key", "recordings", "state.json"]
    assert "PRIVATE" not in st.state_path.read_text()


@pytest.mark.rule("ORG-5")
def test_a_used_code_is_refused_and_leaves_no_key(tmp_path, server):
    code = server.issue_code()
    DockClient(CameraStorage(tmp_path / "a"), server.url).enrol(code, "KL-A")
    other = CameraStorage(tmp_path / "b")
    with pytest.raises(DockError, match="enrolment-code-invalid"):
        DockClient(other, server.url).enrol(code, "KL-B")
    assert not other.has_key()


@pytest.mark.rule("REC-3")
def test_dock_fetches_the_assignment_that_recordings_carry(storage, server):
    state = storage.read_state()
    assert state["assignment"]["officer_id"] == OFFICER_ID
    assert state["pre_record_seconds"] == 30


@pytest.mark.rule("CAM-2", "CAM-3")
def test_offload_stores_verified_recording_then_erases_it(storage, server):
    rec = record(storage)
    original = rec.path.read_bytes()
    report = DockClient(storage).dock()
    assert report.ok and [r.recording_id for r in report.results] == [rec.recording_id]
    assert server.stored[rec.recording_id] == original
    assert not rec.path.exists()
    receipts = storage.read_state()["receipts"]
    assert receipts[-1]["recording_id"] == rec.recording_id and receipts[-1]["erased_at"]
    reader, _ = open_recording(original, server, camera_public_key(storage))
    assert reader.manifest.metadata["officer"]["officer_name"] == OFFICER_NAME


@pytest.mark.rule("CAM-2")
def test_interrupted_offload_resumes_and_erases_nothing_early(storage, server):
    rec = record(storage, seconds=8)
    original = rec.path.read_bytes()
    sleeps = []

    def backoff(seconds):
        # Every retry happens with the recording still on the camera.
        assert rec.path.read_bytes() == original
        sleeps.append(seconds)

    client = DockClient(storage, piece_size=8 * 1024, max_retries=3, sleep=backoff)
    # The connection drops in the middle of a PATCH: the server keeps nothing of that piece.
    server.faults.drop_patch_midway = 2
    # And once the server applies a piece but its answer never arrives.
    server.faults.lose_patch_answer = 1
    result = client.offload(rec)
    assert result.erased and result.retries == 3 and len(sleeps) == 3
    assert server.stored[rec.recording_id] == original
    assert not rec.path.exists()


@pytest.mark.rule("CAM-2")
def test_offload_that_keeps_failing_leaves_the_recording_and_resumes_next_dock(storage, server):
    rec = record(storage, seconds=8)
    client = DockClient(storage, piece_size=8 * 1024, max_retries=2, sleep=no_wait)
    # The dock is pulled halfway: two pieces make it, then every PATCH fails.
    calls = {"n": 0}
    real_request = client._request

    def flaky(method, path, body=b"", headers=None, **kw):
        if method == "PATCH":
            calls["n"] += 1
            if calls["n"] > 2:
                raise ConnectionResetError("dock unplugged")
        return real_request(method, path, body, headers, **kw)

    client._request = flaky
    report = client.dock()
    assert not report.ok and "nothing was erased" in report.results[0].error
    assert rec.path.exists()  # not erased without a receipt
    upload = server.uploads[rec.recording_id]
    assert len(upload["data"]) == 2 * 8 * 1024 and upload["state"] == "receiving"

    # Next dock: starts from the server's offset, not from zero.
    before = server.patches
    report = DockClient(storage, piece_size=8 * 1024, sleep=no_wait).dock()
    assert report.ok and not rec.path.exists()
    pieces = -(-(rec.size - 2 * 8 * 1024) // (8 * 1024))
    assert server.patches - before == pieces


@pytest.mark.rule("CAM-2")
@pytest.mark.parametrize("fault", ["bad_receipt_signature", "receipt_for_other_recording"])
def test_a_receipt_that_proves_nothing_erases_nothing(storage, server, fault):
    rec = record(storage, seconds=2)
    setattr(server.faults, fault, True)
    report = DockClient(storage).dock()
    assert not report.ok and "kept" in report.results[0].error
    assert rec.path.exists()
    assert "receipts" not in storage.read_state()


@pytest.mark.rule("CAM-2", "CAM-3")
def test_a_recording_the_server_cannot_verify_is_kept(storage, server):
    rec = record(storage, seconds=2)
    data = bytearray(rec.path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit flipped on the camera's storage
    rec.path.write_bytes(bytes(data))
    report = DockClient(storage).dock()
    assert not report.ok and "422" in report.results[0].error
    assert rec.path.exists() and rec.recording_id not in server.stored


@pytest.mark.rule("CAM-2")
def test_a_recording_in_progress_is_left_for_the_next_dock(storage, server):
    camera = make_camera(storage, pre_record=2)
    camera.run(until=2, close=False)
    camera.press_record()
    camera.run(until=5, close=False)
    report = DockClient(storage).dock()
    assert report.results == [] and len(report.skipped_in_progress) == 1
    camera.close()
    report = DockClient(storage).dock()
    assert report.ok and len(report.results) == 1 and storage.recordings() == []


@pytest.mark.rule("CAM-2")
def test_a_recording_another_dock_is_offloading_is_left_alone(storage, server):
    rec = record(storage, seconds=2)
    with storage.claim(rec.path) as mine:
        assert mine
        report = DockClient(storage).dock()
    assert report.skipped_in_progress == [rec.recording_id] and rec.path.exists()


@pytest.mark.rule("ORG-5")
def test_a_camera_whose_clock_is_off_signs_with_the_servers_time(storage, server):
    client = DockClient(storage, now=lambda: time.time() - 3600)  # woke up an hour behind
    assert client.status()["camera_id"] == storage.read_state()["camera_id"]
    # A wrong key is still refused: the server's clock only fixes the timestamp.
    other = DockClient(CameraStorage(storage.root), now=lambda: time.time() - 3600)
    other._key = Ed25519PrivateKey.generate()
    with pytest.raises(DockError, match="401"):
        other.status()


@pytest.mark.rule("CAM-2")
def test_a_receipt_for_a_shorter_copy_does_not_erase_the_full_file(storage, server, monkeypatch):
    """The file grew while it was uploaded (a truncated copy went up): the receipt is for the
    short copy, so the camera keeps the whole file for the next dock."""
    rec = record(storage)
    original = rec.path.read_bytes()
    real = DockClient._request

    def growing(self, method, path, body=b"", *args, **kw):
        status, data = real(self, method, path, body, *args, **kw)
        if method == "PATCH" and data.get("state") == "complete":
            with open(rec.path, "ab") as fh:
                fh.write(b"more footage")
        return status, data

    monkeypatch.setattr(DockClient, "_request", growing)
    report = DockClient(storage).dock()
    assert not report.ok and "changed while it was uploaded" in report.results[0].error
    assert rec.path.read_bytes() == original + b"more footage"
    assert not storage.read_state().get("receipts")
