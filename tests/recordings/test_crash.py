"""The real server, killed with SIGKILL at random moments during uploads (CAM-2).

`kluis serve` runs in a subprocess on a fresh data directory with SQLite; two docks upload the
same recordings at once while the server is killed and restarted under them. Afterwards every
recording is stored exactly once, verifies, and the footage store holds no partial object.
"""

from __future__ import annotations

import http.client
import os
import random
import sqlite3
import threading
import time

import pytest

from kluis import sealed
from tests.recordings.helpers import (
    HttpTransport,
    Offloader,
    Server,
    SimCamera,
    kluis,
    new_enrolment_code,
    server_env,
)

NETWORK_ERRORS = (OSError, http.client.HTTPException)


@pytest.mark.slow
@pytest.mark.rule("CAM-2")
def test_sigkill_during_uploads_loses_nothing_and_stores_once(tmp_path):
    data_dir = tmp_path / "data"
    env = server_env(data_dir)
    kluis(env, "manage", "migrate", "--verbosity", "0")
    code = new_enrolment_code(env)

    server = Server(env)
    server.start()
    camera = SimCamera.new("CRASH-1")
    transport = HttpTransport(f"http://127.0.0.1:{server.port}", timeout=20)
    assert Offloader(transport, camera).enrol(code)[0] == 201
    recordings = [camera.seal(os.urandom(random.randrange(500_000, 2_000_000))) for _ in range(4)]

    done: dict[str, dict] = {}
    errors: list[str] = []
    stop = threading.Event()

    def dock(seed):
        rng = random.Random(seed)
        off = Offloader(transport, camera, piece=rng.choice([128 * 1024, 300_000]))
        for rid, data in recordings:
            while not stop.is_set():
                try:
                    status, answer = off.upload(rid, data)
                except NETWORK_ERRORS:
                    time.sleep(0.2)
                    continue
                if status == 200 and answer.get("state") == "complete":
                    camera.check_receipt(answer["receipt"], recording_id=rid, data=data)
                    done.setdefault(rid, answer["receipt"])
                    break
                if status in (409, 503):  # busy with the other dock, or restarting
                    time.sleep(0.2)
                    continue
                errors.append(f"{status} {answer}")
                return

    docks = [threading.Thread(target=dock, args=(i,)) for i in range(2)]
    for t in docks:
        t.start()
    kills = 0
    try:
        while any(t.is_alive() for t in docks) and kills < 6:
            time.sleep(random.uniform(0.05, 0.8))
            server.kill()
            kills += 1
            server.start()
        for t in docks:
            t.join(timeout=120)
    finally:
        stop.set()
        server.kill()
    assert not errors, errors
    assert kills > 0
    assert set(done) == {rid for rid, _ in recordings}

    db = sqlite3.connect(data_dir / "kluis.sqlite3")
    rows = db.execute("SELECT id, storage_key FROM recordings_recording").fetchall()
    assert len(rows) == len(recordings)
    footage = data_dir / "footage"
    files = [p for p in footage.rglob("*") if p.is_file()]
    assert sorted(p.name for p in files) == sorted(f"{rid}.kluis" for rid, _ in recordings)
    for path in files:
        with open(path, "rb") as fh:
            assert sealed.verify(fh, camera.public_key).complete
    # Staged uploads are gone too: a kill right after the commit is tidied by the retry.
    assert list((data_dir / "incoming").glob("*.part")) == []
