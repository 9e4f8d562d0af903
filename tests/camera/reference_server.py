"""A small, honest reference implementation of the server side of docs/api-camera.md.

The camera's dock client is tested against this until (and besides) the real ingest: it runs a
real HTTP server in a thread and checks everything the contract says the server checks —
one-time enrolment codes, request signatures, timestamp window, nonce replay, body hashes,
upload offsets, whole-file hash and ``kluis.sealed.verify`` before it stores anything — and
signs receipts with its own Ed25519 key. Fault injection drops connections mid-PATCH (before
the piece is kept) or after a PATCH was applied (the answer is lost), so resume can be tested.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kluis.sealed import SealedFormatError, generate_organisation_keypair, verify

UPLOAD_PATH = re.compile(r"^/api/v1/ingest/uploads/([0-9a-f-]{36})/$")


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class Faults:
    """Switches the tests flip to break the next requests in specific ways."""

    def __init__(self):
        self.drop_patch_midway = 0  # next N PATCHes: read half the body, then hang up
        self.lose_patch_answer = 0  # next N PATCHes: apply, then hang up without answering
        self.bad_receipt_signature = False
        self.receipt_for_other_recording = False


class ReferenceServer:
    """State of one organisation's server: codes, cameras, uploads, stored recordings."""

    def __init__(self, pre_record_seconds: int = 60):
        self.organisation_id = str(uuid.uuid4())
        self.org_keys = generate_organisation_keypair()
        self.receipt_key = Ed25519PrivateKey.generate()
        self.pre_record_seconds = pre_record_seconds
        self.codes: dict[str, bool] = {}
        self.cameras: dict[str, dict] = {}
        self.nonces: set[str] = set()
        self.uploads: dict[str, dict] = {}
        self.stored: dict[str, bytes] = {}
        self.faults = Faults()
        self.patches = 0
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def receipt_public_key(self) -> bytes:
        return self.receipt_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def issue_code(self) -> str:
        code = "-".join(uuid.uuid4().hex[i : i + 4].upper() for i in (0, 4, 8))
        self.codes[code] = False
        return code

    def assign(self, camera_id: str, officer_id: str, officer_name: str) -> None:
        self.cameras[camera_id]["assignment"] = {
            "officer_id": officer_id,
            "officer_name": officer_name,
            "shift_start": "2026-11-29T07:00:00Z",
            "shift_end": "2026-11-29T15:00:00Z",
        }

    def start(self) -> str:
        server = self

        class Handler(_Handler):
            state = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    def sign_receipt(self, upload: dict, recording_id: str) -> dict:
        body = {
            "recording_id": recording_id,
            "camera_id": upload["camera_id"],
            "organisation_id": self.organisation_id,
            "sha256": upload["sha256"],
            "size": upload["size"],
            "stored_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if self.faults.receipt_for_other_recording:
            body["recording_id"] = str(uuid.uuid4())
        signature = self.receipt_key.sign(canonical(body))
        if self.faults.bad_receipt_signature:
            signature = bytes(64)
        return {**body, "signature": b64(signature)}


class _Handler(BaseHTTPRequestHandler):
    state: ReferenceServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    # --- plumbing --------------------------------------------------------------------------

    def _send(self, status: int, body: dict, problem: bool = False) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        ctype = "application/problem+json" if problem else "application/json"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _problem(self, status: int, code: str, detail: str, **extra) -> None:
        body = {"type": "about:blank", "title": code, "status": status, "detail": detail}
        self._send(status, {**body, "code": code, **extra}, problem=True)

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _authenticate(self, body: bytes) -> dict | None:
        """Check the request signature; answer the error and return None if it fails."""
        h = self.headers
        camera_id = h.get("X-Kluis-Camera")
        camera = self.state.cameras.get(camera_id or "")
        if camera is None or camera["status"] != "active":
            self._problem(401, "camera-unknown", "unknown or retired camera")
            return None
        try:
            timestamp = int(h.get("X-Kluis-Timestamp", ""))
        except ValueError:
            self._problem(401, "signature-invalid", "bad timestamp")
            return None
        if abs(time.time() - timestamp) > 300:
            self._problem(401, "signature-stale", "timestamp outside ±300 s")
            return None
        nonce = h.get("X-Kluis-Nonce", "")
        if not re.fullmatch(r"[0-9a-f]{32}", nonce):
            self._problem(401, "signature-invalid", "bad nonce")
            return None
        content_sha = h.get("X-Kluis-Content-SHA256", "")
        message = "\n".join(
            ["KLUIS-CAMERA-V1", self.command, self.path, str(timestamp), nonce, content_sha]
        ).encode()
        try:
            Ed25519PublicKey.from_public_bytes(camera["public_key"]).verify(
                base64.b64decode(h.get("X-Kluis-Signature", "")), message
            )
        except (InvalidSignature, ValueError):
            self._problem(401, "signature-invalid", "signature does not verify")
            return None
        with self.state.lock:
            if nonce in self.state.nonces:
                self._problem(401, "nonce-reused", "nonce already used")
                return None
            self.state.nonces.add(nonce)
        if hashlib.sha256(body).hexdigest() != content_sha:
            self._problem(400, "content-hash-mismatch", "body does not match its SHA-256")
            return None
        return {"camera_id": camera_id, **camera}

    # --- routes ----------------------------------------------------------------------------

    def do_POST(self):
        if self.path == "/api/v1/cameras/enrol/":
            return self._enrol(self._body())
        body = self._body()
        camera = self._authenticate(body)
        if camera is None:
            return
        if self.path == "/api/v1/ingest/uploads/":
            return self._create_upload(camera, json.loads(body))
        self._problem(404, "not-found", self.path)

    def do_GET(self):
        camera = self._authenticate(b"")
        if camera is None:
            return
        if self.path == "/api/v1/cameras/me/":
            return self._send(
                200,
                {
                    "camera_id": camera["camera_id"],
                    "organisation_id": self.state.organisation_id,
                    "status": camera["status"],
                    "pre_record_seconds": self.state.pre_record_seconds,
                    "assignment": camera.get("assignment"),
                },
            )
        m = UPLOAD_PATH.match(self.path)
        upload = self.state.uploads.get(m.group(1)) if m else None
        if upload is None or upload["camera_id"] != camera["camera_id"]:
            return self._problem(404, "upload-unknown", "no such upload")
        self._send(200, self._upload_view(upload))

    def do_PATCH(self):
        length = int(self.headers.get("Content-Length") or 0)
        faults = self.state.faults
        self.state.patches += 1
        if faults.drop_patch_midway:
            faults.drop_patch_midway -= 1
            self.rfile.read(length // 2)
            return self._hang_up()
        body = self.rfile.read(length)
        camera = self._authenticate(body)
        if camera is None:
            return
        m = UPLOAD_PATH.match(self.path)
        recording_id = m.group(1) if m else ""
        upload = self.state.uploads.get(recording_id)
        if upload is None or upload["camera_id"] != camera["camera_id"]:
            return self._problem(404, "upload-unknown", "no such upload")
        if self.headers.get("Content-Type") != "application/offset+octet-stream":
            return self._problem(415, "content-type", "use application/offset+octet-stream")
        with self.state.lock:
            if upload["state"] == "complete":
                return self._send(200, self._upload_view(upload))
            offset = int(self.headers.get("Upload-Offset", "-1"))
            if offset != len(upload["data"]):
                return self._problem(
                    409, "offset-mismatch", "wrong offset", offset=len(upload["data"])
                )
            if offset + len(body) > upload["size"]:
                return self._problem(400, "too-long", "more bytes than the declared size")
            upload["data"] += body
            if len(upload["data"]) == upload["size"]:
                error = self._complete(recording_id, upload, camera)
                if error:
                    del self.state.uploads[recording_id]
                    return self._problem(422, "verification-failed", error)
        if faults.lose_patch_answer:
            faults.lose_patch_answer -= 1
            return self._hang_up()
        self._send(200, self._upload_view(upload))

    # --- behaviour -------------------------------------------------------------------------

    def _enrol(self, body: bytes):
        data = json.loads(body)
        with self.state.lock:
            if self.state.codes.get(data.get("code")) is not False:
                return self._problem(400, "enrolment-code-invalid", "wrong, used or expired code")
            self.state.codes[data["code"]] = True
            camera_id = str(uuid.uuid4())
            self.state.cameras[camera_id] = {
                "public_key": base64.b64decode(data["public_key"]),
                "serial": data["serial"],
                "status": "active",
                "assignment": None,
            }
        self._send(
            201,
            {
                "camera_id": camera_id,
                "organisation_id": self.state.organisation_id,
                "organisation_public_key": b64(self.state.org_keys.public_key),
                "receipt_public_key": b64(self.state.receipt_public_key),
                "pre_record_seconds": self.state.pre_record_seconds,
            },
        )

    def _create_upload(self, camera: dict, data: dict):
        recording_id, size, sha = data["recording_id"], data["size"], data["sha256"]
        with self.state.lock:
            upload = self.state.uploads.get(recording_id)
            if upload is None:
                self.state.uploads[recording_id] = upload = {
                    "camera_id": camera["camera_id"],
                    "size": size,
                    "sha256": sha,
                    "data": bytearray(),
                    "state": "receiving",
                    "receipt": None,
                }
                return self._send(201, self._upload_view(upload))
        if (upload["size"], upload["sha256"], upload["camera_id"]) != (
            size,
            sha,
            camera["camera_id"],
        ):
            return self._problem(409, "upload-conflict", "same id, other size or hash")
        self._send(200, self._upload_view(upload))

    def _upload_view(self, upload: dict) -> dict:
        recording_id = next(k for k, v in self.state.uploads.items() if v is upload)
        return {
            "upload_url": f"/api/v1/ingest/uploads/{recording_id}/",
            "offset": len(upload["data"]),
            "size": upload["size"],
            "state": upload["state"],
            "receipt": upload["receipt"],
        }

    def _complete(self, recording_id: str, upload: dict, camera: dict) -> str | None:
        """Verify the whole recording, store it, sign the receipt; or say why not."""
        data = bytes(upload["data"])
        if hashlib.sha256(data).hexdigest() != upload["sha256"]:
            return "whole-file SHA-256 differs from the one announced"
        try:
            result = verify(io.BytesIO(data), camera["public_key"])
        except SealedFormatError as exc:
            return f"sealed recording does not verify: {exc}"
        manifest = result.manifest
        if manifest.recording_id != recording_id or manifest.camera_id != camera["camera_id"]:
            return "recording or camera id inside the file does not match the upload"
        if manifest.organisation_id != self.state.organisation_id:
            return "sealed for another organisation"
        self.state.stored[recording_id] = data
        upload["state"] = "complete"
        upload["receipt"] = self.state.sign_receipt(upload, recording_id)
        upload["complete"] = result.complete
        return None
