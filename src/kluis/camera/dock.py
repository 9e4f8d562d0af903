"""The dock client: enrolment, status, and offload of sealed recordings (CAM-2, ORG-5).

It speaks the dock protocol of ``docs/api-camera.md`` with the standard library's
``http.client`` only, so the camera needs no HTTP package. Every call after enrolment is signed
with the camera's Ed25519 key.

Offload is resumable and loses nothing: a recording is sent in pieces from the offset the server
reports, a dropped connection is followed by asking the server where it got to, and the file is
erased only after a receipt that (1) verifies with the server's receipt key and (2) names exactly
this recording's id, size and SHA-256. Anything else leaves the file where it is.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import http.client
import json
import logging
import secrets
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .storage import CameraStorage, StoredRecording

log = logging.getLogger(__name__)

PIECE_SIZE = 4 * 1024 * 1024  # bytes per PATCH: a dropped connection costs at most this much
SIGNATURE_PREFIX = "KLUIS-CAMERA-V1"
CLOCK_TOLERANCE = 60.0  # clock difference (s) we ignore; the server allows 300
RECEIPT_FIELDS = ("recording_id", "camera_id", "organisation_id", "sha256", "size", "stored_at")


class DockError(RuntimeError):
    """The dock or server refused or failed; the message says what and what to do."""

    def __init__(self, message: str, status: int | None = None, problem: dict | None = None):
        super().__init__(message)
        self.status = status
        self.problem = problem or {}


class ReceiptError(DockError):
    """A receipt that does not prove the server stored exactly this recording: nothing erased."""


def canonical_json(obj) -> bytes:
    """The receipt's signed form: keys sorted, no whitespace, UTF-8 (docs/api-camera.md §5)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body_sha256: str) -> bytes:
    """The exact bytes a camera signs for one request (docs/api-camera.md §2)."""
    return "\n".join([SIGNATURE_PREFIX, method, path, timestamp, nonce, body_sha256]).encode()


def verify_receipt(
    receipt: dict,
    receipt_public_key: bytes,
    *,
    recording_id: str,
    sha256: str,
    size: int,
    camera_id: str | None = None,
) -> None:
    """Raise ReceiptError unless the receipt is signed by the server and is for this very file.

    This is the only gate before a recording is erased from the camera (CAM-2).
    """
    if not isinstance(receipt, dict) or "signature" not in receipt:
        raise ReceiptError("the server sent no signed receipt")
    body = {k: v for k, v in receipt.items() if k != "signature"}
    try:
        signature = base64.b64decode(receipt["signature"], validate=True)
        Ed25519PublicKey.from_public_bytes(receipt_public_key).verify(
            signature, canonical_json(body)
        )
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise ReceiptError(f"the receipt's signature does not verify ({exc!r}): kept the recording")
    expected = [("recording_id", recording_id), ("sha256", sha256), ("size", size)]
    if camera_id is not None:
        expected.append(("camera_id", camera_id))
    mismatches = [name for name, ours in expected if body.get(name) != ours]
    if mismatches:
        raise ReceiptError(
            f"the receipt does not match this recording ({', '.join(mismatches)}): kept it"
        )


@dataclass
class OffloadResult:
    """What happened to one recording at the dock."""

    recording_id: str
    size: int
    erased: bool
    receipt: dict | None = None
    error: str | None = None
    retries: int = 0


@dataclass
class DockReport:
    """What a dock session did: assignment fetched, recordings offloaded or kept."""

    status: dict | None = None
    results: list[OffloadResult] = field(default_factory=list)
    skipped_in_progress: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every recording that could be offloaded was, and erased."""
        return all(r.erased for r in self.results)


def file_sha256(path) -> str:
    """SHA-256 of a whole sealed file, read in pieces (the server checks it against this)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


class DockClient:
    """Talks to the organisation's server through the dock.

    ``sleep`` and ``now`` are injectable so tests can run retries without waiting. ``max_retries``
    bounds consecutive failures without progress; each success resets the count, so a long
    recording on a flaky link still gets through.
    """

    def __init__(
        self,
        storage: CameraStorage,
        server: str | None = None,
        *,
        timeout: float = 30.0,
        piece_size: int = PIECE_SIZE,
        max_retries: int = 6,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ):
        self.storage = storage
        state = storage.read_state()
        self.server = (server or state.get("server") or "").rstrip("/")
        if not self.server:
            raise DockError("no server known: pass --server URL")
        parsed = urllib.parse.urlsplit(self.server)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise DockError(f"server must be an http(s) URL, not {self.server!r}")
        self._parsed = parsed
        self.timeout = timeout
        self.piece_size = piece_size
        self.max_retries = max_retries
        self._sleep = sleep
        self._now = now
        self._key = None
        self._streak = 0  # consecutive network failures without progress
        self._skew = 0.0  # seconds to add to our clock to get the server's (see _learn_clock)

    # --- HTTP ------------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self._parsed.hostname, self._parsed.port
        if self._parsed.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self.timeout)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict | None = None,
        *,
        signed: bool = True,
    ) -> tuple[int, dict]:
        """One HTTP exchange on a fresh connection; returns (status, JSON body).

        A fresh connection per call keeps a dropped connection from poisoning the next call.
        Network failures raise OSError or http.client.HTTPException for the caller to retry.
        """
        full_path = self._parsed.path.rstrip("/") + path
        base_headers = dict(headers or {})
        if body and "Content-Type" not in base_headers:
            base_headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            headers = dict(base_headers)
            if signed:
                headers.update(self._signature_headers(method, full_path, body))
            conn = self._connection()
            try:
                conn.request(method, full_path, body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read()
            finally:
                conn.close()
            if not (signed and response.status == 401 and attempt == 1):
                break
            if not self._learn_clock(response.getheader("Date")):
                break
        try:
            data = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            data = {"detail": raw[:200].decode("utf-8", "replace")}
        return response.status, data if isinstance(data, dict) else {"value": data}

    def _learn_clock(self, date_header: str | None) -> bool:
        """After a 401, adopt the server's clock if ours is far off; True means "sign again".

        A camera without a battery-backed clock may wake up with the wrong time, and the
        server refuses signatures more than 300 s off. The signature still needs the camera's
        key, so following the server's Date header opens nothing to anyone else.
        """
        if not date_header:
            return False
        try:
            server_time = email.utils.parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError):
            return False
        skew = server_time - self._now()
        if abs(skew - self._skew) <= CLOCK_TOLERANCE:
            return False  # our clock was not the problem
        log.warning("camera clock is %.0f s off the server's: signing with the server's time", skew)
        self._skew = skew
        return True

    def _signature_headers(self, method: str, path: str, body: bytes) -> dict:
        state = self.storage.read_state()
        if "camera_id" not in state:
            raise DockError("this camera is not enrolled: run kluis camera enrol first")
        if self._key is None:
            self._key = self.storage.load_key()
        timestamp = str(int(self._now() + self._skew))
        nonce = secrets.token_hex(16)
        body_sha = hashlib.sha256(body).hexdigest()
        signature = self._key.sign(string_to_sign(method, path, timestamp, nonce, body_sha))
        return {
            "X-Kluis-Camera": state["camera_id"],
            "X-Kluis-Timestamp": timestamp,
            "X-Kluis-Nonce": nonce,
            "X-Kluis-Content-SHA256": body_sha,
            "X-Kluis-Signature": base64.b64encode(signature).decode(),
        }

    @staticmethod
    def _problem(status: int, data: dict, doing: str) -> DockError:
        detail = data.get("detail") or data.get("title") or "no detail"
        code = data.get("code")
        return DockError(
            f"{doing}: server answered {status} ({code or 'error'}): {detail}", status, data
        )

    # --- enrolment and status --------------------------------------------------------------

    def enrol(self, code: str, serial: str) -> dict:
        """Enrol with a one-time code: make the camera's key, register its public half (ORG-5).

        The private key is made here and never leaves the camera. If the server refuses, the
        fresh key is removed again so a retry with a new code starts clean.
        """
        state = self.storage.read_state()
        if state.get("camera_id"):
            raise DockError(
                f"this camera is already enrolled as {state['camera_id']}; "
                "a camera is enrolled once; a camera that must start over gets a new serial "
                "and a new enrolment code, and the server retires the old one"
            )
        created = False
        if self.storage.has_key():
            key = self.storage.load_key()
        else:
            key = self.storage.create_key()
            created = True
        public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        body = canonical_json(
            {"code": code, "serial": serial, "public_key": base64.b64encode(public).decode()}
        )
        try:
            status, data = self._request("POST", "/api/v1/cameras/enrol/", body, signed=False)
        except (OSError, http.client.HTTPException) as exc:
            if created:
                self.storage.remove_key()
            raise DockError(f"cannot reach the server at {self.server}: {exc}")
        if status != 201:
            if created:
                self.storage.remove_key()
            raise self._problem(status, data, "enrolment refused")
        for name in ("organisation_public_key", "receipt_public_key"):
            if len(base64.b64decode(data.get(name, ""))) != 32:
                raise DockError(f"the server's {name} is not a 32-byte key")

        def save(s):
            s.update(
                server=self.server,
                serial=serial,
                camera_id=data["camera_id"],
                organisation_id=data["organisation_id"],
                organisation_public_key=data["organisation_public_key"],
                receipt_public_key=data["receipt_public_key"],
                pre_record_seconds=data.get("pre_record_seconds", 30),
                assignment=None,
            )

        return self.storage.update_state(save)

    def status(self) -> dict:
        """Fetch the camera's status and shift assignment, and keep them in the state.

        Recordings made after this carry the assigned officer (REC-3); the pre-record length
        follows the organisation's policy (REC-1).
        """
        try:
            status, data = self._request("GET", "/api/v1/cameras/me/")
        except (OSError, http.client.HTTPException) as exc:
            raise DockError(f"cannot reach the server at {self.server}: {exc}")
        if status != 200:
            raise self._problem(status, data, "status refused")

        def save(s):
            s["assignment"] = data.get("assignment")
            if "pre_record_seconds" in data:
                s["pre_record_seconds"] = data["pre_record_seconds"]
            s["server_status"] = data.get("status")

        self.storage.update_state(save)
        return data

    # --- offload ---------------------------------------------------------------------------

    def dock(self) -> DockReport:
        """A whole dock session: fetch status, then offload every finished recording."""
        report = DockReport(status=self.status())
        for rec in self.storage.recordings():
            with self.storage.claim(rec.path) as mine:
                if not mine:  # still being recorded (or another dock has it)
                    report.skipped_in_progress.append(rec.recording_id)
                    continue
                try:
                    report.results.append(self.offload(rec))
                except DockError as exc:
                    log.warning("offload of %s failed: %s", rec.recording_id, exc)
                    report.results.append(
                        OffloadResult(rec.recording_id, rec.size, erased=False, error=str(exc))
                    )
        return report

    def offload(self, rec: StoredRecording) -> OffloadResult:
        """Upload one sealed recording, resuming where the server is; erase it on a valid receipt.

        Raises DockError (and erases nothing) when the server refuses or stays unreachable.
        """
        size = rec.path.stat().st_size
        sha256 = file_sha256(rec.path)
        result = OffloadResult(rec.recording_id, size, erased=False)
        self._streak = 0
        waits = 0
        body = canonical_json({"recording_id": rec.recording_id, "size": size, "sha256": sha256})
        data = self._retrying(
            result, lambda: self._expect("POST", "/api/v1/ingest/uploads/", body, (200, 201))
        )
        upload_path = f"/api/v1/ingest/uploads/{rec.recording_id}/"
        offset = int(data.get("offset", 0))
        state = data.get("state")
        receipt = data.get("receipt")
        with open(rec.path, "rb") as f:
            while state != "complete":
                if offset >= size:
                    # Every byte is there but the answer that said "complete" was lost, or
                    # the server is still storing: ask.
                    data = self._retrying(result, lambda: self._get_upload(upload_path))
                    offset, state, receipt = (
                        int(data["offset"]),
                        data.get("state"),
                        data.get("receipt"),
                    )
                    if state != "complete":
                        waits += 1
                        if waits > self.max_retries * 4:
                            raise DockError("the server has every byte but does not confirm")
                        self._sleep(1.0)
                    continue
                f.seek(offset)
                piece = f.read(min(self.piece_size, size - offset))
                try:
                    status, data = self._request(
                        "PATCH",
                        upload_path,
                        piece,
                        {
                            "Upload-Offset": str(offset),
                            "Content-Type": "application/offset+octet-stream",
                        },
                    )
                except (OSError, http.client.HTTPException) as exc:
                    # The connection dropped mid-piece: the server keeps nothing of a piece it
                    # could not check, so ask where it is and go on from there.
                    self._failed(result, exc)
                    data = self._retrying(result, lambda: self._get_upload(upload_path))
                    offset, state, receipt = (
                        int(data["offset"]),
                        data.get("state"),
                        data.get("receipt"),
                    )
                    continue
                if status == 200:
                    self._streak = 0
                    offset, state, receipt = (
                        int(data["offset"]),
                        data.get("state"),
                        data.get("receipt"),
                    )
                elif status == 409 and "offset" in data:
                    offset = int(data["offset"])  # the server is elsewhere: follow it
                elif status == 422:
                    raise self._problem(status, data, "the server rejected the recording")
                else:
                    raise self._problem(status, data, "upload refused")
        result.receipt = receipt
        state = self.storage.read_state()
        verify_receipt(
            receipt,
            base64.b64decode(state["receipt_public_key"]),
            recording_id=rec.recording_id,
            sha256=sha256,
            size=size,
            camera_id=state["camera_id"],
        )
        # The receipt names the bytes uploaded; if the file on the camera changed since (a copy
        # that was still being written, now longer), the receipt is not for it: keep it, and the
        # next dock sends the whole file, which the server takes in place of the short one.
        if file_sha256(rec.path) != sha256 or rec.path.stat().st_size != size:
            raise ReceiptError("the recording changed while it was uploaded: kept it")
        self.storage.erase_after_receipt(rec.recording_id, receipt)
        result.erased = True
        return result

    def _expect(self, method: str, path: str, body: bytes, ok: tuple[int, ...]) -> dict:
        status, data = self._request(method, path, body)
        if status not in ok:
            raise self._problem(status, data, f"{method} {path} refused")
        return data

    def _get_upload(self, path: str) -> dict:
        return self._expect("GET", path, b"", (200,))

    def _retrying(self, result: OffloadResult, call: Callable[[], dict]) -> dict:
        """Run ``call`` again after network failures (never after a refusal)."""
        while True:
            try:
                return call()
            except (OSError, http.client.HTTPException) as exc:
                self._failed(result, exc)

    def _failed(self, result: OffloadResult, exc: Exception) -> None:
        """Count a network failure; back off, or give up after too many in a row."""
        result.retries += 1
        self._streak += 1
        if self._streak > self.max_retries:
            raise DockError(
                f"offload of {result.recording_id} interrupted too often ({exc!r}); "
                "nothing was erased: dock again"
            )
        self._sleep(min(30.0, 0.5 * 2 ** (self._streak - 1)))
