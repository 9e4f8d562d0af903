"""The camera against the real server: `kluis serve` in a subprocess, the camera's own commands.

The reference server in this directory checks the dock protocol as written; this test checks
that the camera and the real ingest agree on it: enrolment with an administrator's code, the
shift assignment at the dock, a recording made by `kluis camera run`, offloaded by
`kluis camera dock`, stored with its metadata and erased from the camera after the receipt.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from kluis.camera.cli import main as camera_main
from kluis.camera.storage import CameraStorage

# One shell: the organisation (H2O preset: 60 s pre-record), a camera registered by serial and
# assigned to an officer for a shift around now, and the one-time code it enrols with.
SETUP = """
import datetime as dt
from django.contrib.auth import get_user_model
from kluis.core.clock import now, today
from kluis.devices.actions import assign_camera, issue_enrolment_code, register_camera
from kluis.organisations import actions
org = actions.create_organisation(name="Hattem", slug="h2o", preset_key="h2o")
m = actions.add_municipality(org, name="Hattem", code="0244")
team = actions.add_team(org, name="Handhaving", municipality=m)
user = get_user_model().objects.create(username="devries", first_name="Anna", last_name="de Vries")
actions.grant_role(org, user, "officer", valid_from=today() - dt.timedelta(days=30))
camera = register_camera(org, team, serial="KL-INT-1")
start = now() - dt.timedelta(hours=1)
assign_camera(camera, user, shift_start=start, shift_end=start + dt.timedelta(hours=8))
print(issue_enrolment_code(org, team)[1])
"""

REPORT = """
import json
from kluis.recordings.models import Recording
print(json.dumps([
    {"id": str(r.id), "officer": str(r.officer), "complete": r.complete, "warning": r.warning,
     "colleagues": r.includes_colleagues, "pre_record_seconds": r.pre_record_seconds}
    for r in Recording.objects.all()
]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(env, *args):
    done = subprocess.run(
        [sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
@pytest.mark.rule("ORG-5", "REC-3", "CAM-2")
def test_enrol_record_and_dock_against_kluis_serve(tmp_path):
    env = {
        **os.environ,
        "KLUIS_ENVIRONMENT": "development",
        "KLUIS_DATA_DIR": str(tmp_path / "server"),
        "KLUIS_LOG_LEVEL": "ERROR",
    }
    for name in ("KLUIS_DATABASE_URL", "KLUIS_STORAGE_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    run(env, "kluis.cli", "manage", "migrate", "--verbosity", "0")
    code = run(env, "kluis.cli", "manage", "shell", "-c", SETUP).strip().splitlines()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "kluis.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)  # noqa: S310 (loopback)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "no server"
                time.sleep(0.2)
        storage = CameraStorage(tmp_path / "camera")
        cam = ("kluis.camera",)
        where = ("--storage", str(storage.root))
        enrol = ["enrol", *where, "--server", url, "--code", code, "--serial", "KL-INT-1"]
        assert camera_main(enrol) == 0
        assert camera_main(["dock", *where]) == 0  # fetches the assignment and the policy
        state = storage.read_state()
        assert state["pre_record_seconds"] == 60
        assert state["assignment"]["officer_name"] == "Anna de Vries"
        out = run(
            env,
            *cam,
            "run",
            *where,
            "--source",
            "synthetic",
            "--size",
            "160x120",
            "--speed",
            "fast",
            "--preset",
            "ultrafast",
            "--threads",
            "1",
            "--control-port",
            "0",
            "--no-keyboard",
            "--record-at",
            "65",
            "--stop-at",
            "70",
            "--duration",
            "73",
            "--warning",
            "after",
            "--colleagues",
        )
        (made,) = json.loads(out)["recordings"]
        assert made["pre_recorded_seconds"] >= 60
        assert len(storage.recordings()) == 1
        assert camera_main(["dock", *where]) == 0
        assert storage.recordings() == []  # erased after the receipt
        assert storage.read_state()["receipts"][-1]["recording_id"] == made["recording_id"]
        (stored,) = json.loads(
            run(env, "kluis.cli", "manage", "shell", "-c", REPORT).strip().splitlines()[-1]
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert stored == {
        "id": made["recording_id"],
        "officer": "Anna de Vries",
        "complete": True,
        "warning": "after",
        "colleagues": True,
        "pre_record_seconds": 60.0,
    }
