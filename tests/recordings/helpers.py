"""A small camera for tests: enrols, seals recordings and signs requests as docs/api-camera.md says.

It talks either to Django's test client (in-process) or to a real server over HTTP, so the same
code drives the crash tests against `kluis serve`.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kluis.sealed.keys import generate_camera_keypair
from tests.sealed.helpers import seal_footage

# A few hours ago: ingest flags a start time before the camera's enrolment (it enrols in the
# test) or long before its previous dock as an implausible clock.
STARTED = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)


def string_to_sign(method, path, timestamp, nonce, body_sha):
    return "\n".join(["KLUIS-CAMERA-V1", method, path, timestamp, nonce, body_sha]).encode()


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class SimCamera:
    """What a camera keeps after enrolment."""

    serial: str
    private_key: bytes
    public_key: bytes
    camera_id: str = ""
    organisation_id: str = ""
    organisation_public_key: bytes = b""
    receipt_public_key: bytes = b""
    pre_record_seconds: int = 0
    clock_offset: int = 0
    sent_nonces: list = field(default_factory=list)

    @classmethod
    def new(cls, serial: str | None = None) -> SimCamera:
        pair = generate_camera_keypair()
        return cls(serial or f"T-{secrets.token_hex(4)}", pair.private_key, pair.public_key)

    def enrol_body(self, code: str) -> dict:
        return {
            "code": code,
            "serial": self.serial,
            "public_key": base64.b64encode(self.public_key).decode(),
        }

    def enrolled(self, answer: dict) -> None:
        self.camera_id = answer["camera_id"]
        self.organisation_id = answer["organisation_id"]
        self.organisation_public_key = base64.b64decode(answer["organisation_public_key"])
        self.receipt_public_key = base64.b64decode(answer["receipt_public_key"])
        self.pre_record_seconds = answer["pre_record_seconds"]

    def headers(self, method: str, path: str, body: bytes, *, nonce: str | None = None) -> dict:
        timestamp = str(int(time.time()) + self.clock_offset)
        nonce = nonce or secrets.token_hex(16)
        self.sent_nonces.append(nonce)
        body_sha = hashlib.sha256(body).hexdigest()
        key = Ed25519PrivateKey.from_private_bytes(self.private_key)
        sig = key.sign(string_to_sign(method, path, timestamp, nonce, body_sha))
        return {
            "X-Kluis-Camera": self.camera_id,
            "X-Kluis-Timestamp": timestamp,
            "X-Kluis-Nonce": nonce,
            "X-Kluis-Content-SHA256": body_sha,
            "X-Kluis-Signature": base64.b64encode(sig).decode(),
        }

    def seal(
        self,
        footage: bytes,
        *,
        recording_id: str | None = None,
        finalize: bool = True,
        chunk_size: int = 64 * 1024,
        metadata: dict | None = None,
        organisation_public_key: bytes | None = None,
        organisation_id: str | None = None,
        camera_id: str | None = None,
        private_key: bytes | None = None,
        started_at: datetime = STARTED,
    ) -> tuple[str, bytes]:
        """(recording id, sealed file bytes) for this footage, sealed with this camera's keys."""
        return seal_footage(
            footage,
            organisation_public_key=organisation_public_key or self.organisation_public_key,
            camera_private_key=private_key or self.private_key,
            recording_id=recording_id,
            organisation_id=organisation_id or self.organisation_id,
            camera_id=camera_id or self.camera_id,
            started_at=started_at,
            pre_record_seconds=self.pre_record_seconds or 30,
            chunk_size=chunk_size,
            metadata=metadata,
            finalize=finalize,
        )

    def check_receipt(self, receipt: dict, *, recording_id: str, data: bytes) -> None:
        """What the camera checks before it erases a recording (CAM-2)."""
        body = {k: v for k, v in receipt.items() if k != "signature"}
        Ed25519PublicKey.from_public_bytes(self.receipt_public_key).verify(
            base64.b64decode(receipt["signature"]), canonical_json(body)
        )
        assert receipt["recording_id"] == recording_id
        assert receipt["sha256"] == hashlib.sha256(data).hexdigest()
        assert receipt["size"] == len(data)


class _Transport:
    """Builds the signed headers; subclasses send the request somewhere."""

    def request(
        self,
        camera,
        method,
        path,
        body=b"",
        content_type="application/json",
        extra_headers=None,
        nonce=None,
        signed=True,
        headers=None,
    ):
        """(status, JSON body). `headers` replaces the signed headers (to send forged ones)."""
        hdrs = camera.headers(method, path, body, nonce=nonce) if signed else {}
        hdrs.update(extra_headers or {})
        if headers is not None:
            hdrs = headers
        return self.send(method, path, body, content_type, hdrs)


class DjangoTransport(_Transport):
    """Sends signed requests through Django's test client."""

    def __init__(self, client):
        self.client = client

    def send(self, method, path, body, content_type, hdrs):
        fn = getattr(self.client, method.lower())
        if method == "GET":
            response = fn(path, headers=hdrs)
        else:
            response = fn(path, data=body, content_type=content_type, headers=hdrs)
        try:
            data = response.json()
        except ValueError:
            data = {}
        return response.status_code, data


class HttpTransport(_Transport):
    """Sends signed requests to a real server over HTTP."""

    def __init__(self, base_url: str, timeout: float = 30):
        from urllib.parse import urlsplit

        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout

    def send(self, method, path, body, content_type, hdrs):
        hdrs = dict(hdrs)
        if body:
            hdrs["Content-Type"] = content_type
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        return response.status, (json.loads(raw) if raw else {})


class Offloader:
    """The upload half of the protocol: announce, PATCH in pieces, follow the server's offset."""

    def __init__(self, transport, camera: SimCamera, piece: int = 256 * 1024):
        self.t, self.camera, self.piece = transport, camera, piece

    def enrol(self, code: str) -> tuple[int, dict]:
        status, data = self.t.request(
            self.camera,
            "POST",
            "/api/v1/cameras/enrol/",
            json.dumps(self.camera.enrol_body(code)).encode(),
            signed=False,
        )
        if status == 201:
            self.camera.enrolled(data)
        return status, data

    def announce(self, rid: str, data: bytes, *, size=None, sha=None) -> tuple[int, dict]:
        body = canonical_json(
            {
                "recording_id": rid,
                "size": len(data) if size is None else size,
                "sha256": sha or hashlib.sha256(data).hexdigest(),
            }
        )
        return self.t.request(self.camera, "POST", "/api/v1/ingest/uploads/", body)

    def status(self, rid: str) -> tuple[int, dict]:
        return self.t.request(self.camera, "GET", f"/api/v1/ingest/uploads/{rid}/")

    def patch(self, rid: str, offset: int, piece: bytes, **kw) -> tuple[int, dict]:
        return self.t.request(
            self.camera,
            "PATCH",
            f"/api/v1/ingest/uploads/{rid}/",
            piece,
            content_type="application/offset+octet-stream",
            extra_headers={"Upload-Offset": str(offset)},
            **kw,
        )

    def upload(self, rid: str, data: bytes, *, start: int | None = None) -> tuple[int, dict]:
        """Upload to the end (from the server's offset); returns the last answer."""
        status, answer = self.announce(rid, data)
        if status not in (200, 201):
            return status, answer
        offset = answer["offset"] if start is None else start
        while answer.get("state") != "complete":
            status, answer = self.patch(rid, offset, data[offset : offset + self.piece])
            if status == 409 and "offset" in answer:
                offset = answer["offset"]
                continue
            if status != 200:
                return status, answer
            offset = answer["offset"]
        return status, answer


# --- a real `kluis serve` in a subprocess ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(data_dir) -> dict:
    """Environment for a server on its own data directory, SQLite and the default stores."""
    env = {
        **os.environ,
        "KLUIS_ENVIRONMENT": "development",
        "KLUIS_DATA_DIR": str(data_dir),
        "KLUIS_LOG_LEVEL": "ERROR",
    }
    for name in ("KLUIS_DATABASE_URL", "KLUIS_STORAGE_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


def kluis(env, *args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "kluis.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


_SETUP = """
from kluis.devices.actions import issue_enrolment_code
from kluis.organisations import actions
org = actions.create_organisation(name="Crash", slug="crash", preset_key="alphen")
m = actions.add_municipality(org, name="Crash", code="9999")
team = actions.add_team(org, name="Handhaving", municipality=m)
print(issue_enrolment_code(org, team)[1])
"""


class Server:
    def __init__(self, env):
        self.env, self.port, self.proc = env, free_port(), None

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kluis.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("kluis serve did not come up")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def new_enrolment_code(env) -> str:
    """Set up an organisation in the server's database and issue an enrolment code."""
    return kluis(env, "manage", "shell", "-c", _SETUP).stdout.strip().splitlines()[-1]
