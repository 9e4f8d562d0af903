"""Footage is sealed as it is written; no plaintext ever reaches the camera's storage (CAM-1)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import av
import pytest

from kluis.camera.dock import DockClient
from kluis.sealed import verify

from .conftest import camera_public_key, make_camera, open_recording, storage_files

# Box types of an MP4 file and codec tags: any of them on disk would be plaintext footage.
MP4_SIGNATURES = (b"ftyp", b"moov", b"moof", b"mdat", b"avc1", b"avcC", b"mp4a")


def assert_no_plaintext(storage):
    for path in storage_files(storage):
        data = path.read_bytes()
        found = [sig for sig in MP4_SIGNATURES if sig in data]
        assert not found, f"{path} holds plaintext MP4 ({found})"


@pytest.mark.rule("CAM-1")
def test_no_plaintext_file_ever_appears_in_camera_storage(storage, server):
    camera = make_camera(storage, pre_record=3, chunk_size=4096)
    camera.run(until=5, close=False)
    assert_no_plaintext(storage)  # standby
    camera.press_record()
    for until in (6, 7.5, 9):  # while recording, after each batch of chunks
        camera.run(until=until, close=False)
        assert storage.recordings() and storage.recordings()[0].size > 4096
        assert_no_plaintext(storage)
    camera.press_stop()
    camera.run(until=12, close=False)
    camera.close()
    assert_no_plaintext(storage)
    # ...and yet the organisation can open it: the footage is there, sealed.
    (rec,) = storage.recordings()
    _, mp4 = open_recording(rec.path, server, camera_public_key(storage))
    assert b"ftyp" in mp4[:16] and b"moof" in mp4
    # The camera holds no key that opens it: only its own signing key and public keys.
    state = storage.read_state()
    assert set(state) >= {"organisation_public_key", "receipt_public_key"}
    assert server.org_keys.private_key.hex() not in "".join(
        p.read_bytes().hex() for p in storage_files(storage)
    )


def camera_command(storage):
    return [
        sys.executable,
        "-m",
        "kluis.camera",
        "run",
        "--storage",
        str(storage.root),
        "--source",
        "synthetic",
        "--size",
        "160x120",
        "--preset",
        "ultrafast",
        "--threads",
        "1",
        "--pre-record",
        "2",
        "--record-at",
        "1",
        "--chunk-size",
        "2048",
        "--control-port",
        "0",
        "--no-keyboard",
    ]


def start_and_wait_for_recording(storage, size=16 * 1024):
    """Start `python -m kluis.camera run` at real time; return once it has sealed `size` bytes."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        camera_command(storage), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        recs = storage.recordings()
        if recs and recs[0].size > size:
            assert storage.is_being_written(recs[0].path)
            return proc
        if proc.poll() is not None:
            pytest.fail(proc.stderr.read().decode())
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    pytest.fail("the camera did not record in time")


@pytest.mark.rule("CAM-1")
def test_sigkill_mid_recording_leaves_a_recording_the_server_opens(storage, server):
    proc = start_and_wait_for_recording(storage)
    try:
        proc.send_signal(signal.SIGKILL)  # power cut: no chance to finalize
    finally:
        proc.kill()
        proc.wait()
    (rec,) = storage.recordings()
    assert not storage.is_being_written(rec.path)  # the kernel released the lock
    with open(rec.path, "rb") as f:
        result = verify(f, camera_public_key(storage))
    assert not result.complete and result.chunk_count >= 8
    assert result.plaintext_size == result.chunk_count * 2048
    # The dock offloads it like any other; the server verifies and opens it.
    report = DockClient(storage).dock()
    assert report.ok and storage.recordings() == []
    reader, mp4 = open_recording(
        server.stored[rec.recording_id], server, camera_public_key(storage)
    )
    assert not reader.complete and len(mp4) == result.plaintext_size
    frames = 0
    with av.open(io.BytesIO(mp4)) as container:
        try:
            for _ in container.decode(video=0):
                frames += 1
        except av.FFmpegError:
            pass  # the last fragment may be cut off mid-chunk; what came before plays
    assert frames >= 25  # at least the first whole fragment (one second)


@pytest.mark.rule("REC-3", "CAM-1")
def test_sigterm_seals_the_running_recording_completely(storage, server):
    proc = start_and_wait_for_recording(storage, size=4096)
    proc.send_signal(signal.SIGTERM)  # shutdown: the camera seals before it exits
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    (rec,) = storage.recordings()
    with open(rec.path, "rb") as f:
        result = verify(f, camera_public_key(storage))
    assert result.complete
    assert result.manifest.metadata["stop_reason"] == "camera switched off"
