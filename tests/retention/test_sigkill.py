"""A real purge process killed with SIGKILL between its steps, then `kluis purge` run again:
the job is finished and nothing was ever marked deleted while still readable (RET-4)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only, pytest.mark.rule("RET-4")]

ROOT = Path(__file__).resolve().parents[2]


def run(env, *args, check=True):
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=check,
        timeout=180,
    )


def state(data_dir: Path) -> list[tuple[str, str, str | None, bool, bool]]:
    """(recording id, recording state, deletion state, key file present, object present)."""
    db = sqlite3.connect(data_dir / "kluis.sqlite3")
    rows = db.execute(
        "SELECT r.id, r.state, d.state, r.data_key_name, r.storage_key FROM recordings_recording r"
        " LEFT JOIN retention_deletion d ON d.recording_id = r.id"
    ).fetchall()
    db.close()
    out = []
    for rid, rstate, dstate, key_name, storage_key in rows:
        key = (data_dir / "keys" / f"{key_name}.key").exists()
        obj = (data_dir / "footage" / storage_key).exists()
        out.append((rid, rstate, dstate, key, obj))
    return out


def assert_consistent(rows) -> None:
    for _rid, rstate, dstate, key, obj in rows:
        if rstate == "shredded" or dstate == "deleted":
            assert (rstate, dstate, key, obj) == ("shredded", "deleted", False, False)
        if not key:
            assert dstate is not None


def kill_at(env, point: str, tmp_path: Path) -> None:
    marker = tmp_path / f"at-{point}"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.retention.purge_subprocess",
            "purge-and-hang",
            point,
            str(marker),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        if child.poll() is not None:
            raise AssertionError(child.stdout.read().decode()[-3000:])
        assert time.monotonic() < deadline, "the purge never reached " + point
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL


def test_sigkill_between_steps_then_kluis_purge_finishes(tmp_path):
    data = tmp_path / "data"
    env = {
        **os.environ,
        "KLUIS_ENVIRONMENT": "test",
        "KLUIS_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "kluis.conf.settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
    }
    env.pop("KLUIS_DATABASE_URL", None)
    run(env, "-m", "kluis.cli", "manage", "migrate", "--verbosity", "0")
    run(env, "-m", "tests.retention.purge_subprocess", "setup", "3")
    before = state(data)
    assert len(before) == 3 and all(r[3] and r[4] for r in before)

    # Killed after destroying the keys but before recording that; then after deleting objects.
    kill_at(env, "keys_destroyed", tmp_path)
    after_first = state(data)
    assert_consistent(after_first)
    assert all(not key for _r, _s, _d, key, _o in after_first)  # shredded already
    kill_at(env, "objects_deleted", tmp_path)
    assert_consistent(state(data))

    done = run(env, "-m", "kluis.cli", "purge")
    assert "finished 3 interrupted deletions" in done.stdout, done.stdout + done.stderr
    final = state(data)
    assert_consistent(final)
    assert all(r[1:] == ("shredded", "deleted", False, False) for r in final)
