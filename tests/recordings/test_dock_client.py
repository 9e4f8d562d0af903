"""The camera's own dock client (kluis.camera.dock) against the real server (CAM-2, ORG-5).

Both sides were written from docs/api-camera.md; this test holds them to the same contract:
enrol, fetch status, offload a finalized and a power-loss recording, erase after the receipt.
"""

from __future__ import annotations

import base64
import sqlite3
import uuid
from datetime import UTC, datetime

import pytest

from kluis.camera import dock
from kluis.camera import storage as camera_storage
from tests.recordings.helpers import Server, kluis, new_enrolment_code, server_env
from tests.sealed.helpers import seal_footage


def write_recording(storage, *, finalize: bool) -> str:
    """A recording in the camera's storage, as the recorder leaves it (finalized or cut off)."""
    state = storage.read_state()
    started_at = datetime.now(UTC)
    rid, data = seal_footage(
        b"frame" * 200_000,
        organisation_public_key=base64.b64decode(state["organisation_public_key"]),
        camera_private_key=storage.load_key(),
        organisation_id=state["organisation_id"],
        camera_id=state["camera_id"],
        started_at=started_at,
        seconds=30,
        finalize=finalize,
        pre_record_seconds=state.get("pre_record_seconds") or 30,
        metadata={"warning": "before", "colleagues_present": True},
    )
    with storage.create_recording_file(rid) as fh:
        fh.write(data)
    return rid


@pytest.mark.slow
@pytest.mark.rule("CAM-2", "ORG-5")
def test_camera_dock_client_offloads_to_the_real_server(tmp_path):
    data_dir = tmp_path / "server"
    env = server_env(data_dir)
    kluis(env, "manage", "migrate", "--verbosity", "0")
    code = new_enrolment_code(env)
    server = Server(env)
    server.start()
    try:
        storage = camera_storage.CameraStorage(tmp_path / "camera")
        client = dock.DockClient(storage, f"http://127.0.0.1:{server.port}", sleep=lambda s: None)
        client.enrol(code, "KL-E2E-1")
        finished = write_recording(storage, finalize=True)
        torn = write_recording(storage, finalize=False)
        report = client.dock()
        assert report.ok, report
        assert {r.recording_id for r in report.results} == {finished, torn}
        assert storage.recordings() == []  # erased, each only after its verified receipt
    finally:
        server.kill()
    db = sqlite3.connect(data_dir / "kluis.sqlite3")
    rows = dict(db.execute("SELECT id, complete FROM recordings_recording").fetchall())
    assert {str(uuid.UUID(k)): v for k, v in rows.items()} == {finished: 1, torn: 0}
