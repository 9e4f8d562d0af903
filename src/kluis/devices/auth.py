"""Camera request signatures (docs/api-camera.md section 2) as a DRF authentication class.

A camera proves each request with its own Ed25519 key (ORG-5). The signature covers method,
path, a timestamp within the allowed clock skew, a nonce that is never accepted twice, and the
SHA-256 of the body. Small bodies are hashed here; upload bodies (PATCH with
application/offset+octet-stream) are hashed by the ingest code while they stream to disk, and a
mismatch discards them (`CameraPrincipal.body_sha256` carries the expected value).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import io
import re
import time
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from kluis.core.problems import KluisError
from kluis.custody.events import AuditEvent

from .actions import refusal_recorded, remember_nonce
from .keys import InvalidCameraKey, check_camera_public_key
from .models import Camera

SIGNATURE_PREFIX = "KLUIS-CAMERA-V1"
STREAMED_CONTENT_TYPE = "application/offset+octet-stream"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SIGNED_BODY = 64 * 1024
_NONCE = re.compile(r"^[0-9a-f]{32}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class CameraAuthError(KluisError):
    status = 401
    code = "camera-signature-invalid"
    title = "Camera not authenticated"


class BodyHashMismatch(KluisError):
    status = 400
    code = "body-hash-mismatch"
    title = "Body does not match its hash"


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body_sha256: str) -> bytes:
    """The exact bytes a camera signs for one request."""
    return "\n".join([SIGNATURE_PREFIX, method, path, timestamp, nonce, body_sha256]).encode()


@dataclass
class CameraPrincipal:
    """`request.user` for a camera: authenticated, but no person and never a staff member."""

    camera: Camera
    body_sha256: str
    is_authenticated: bool = True
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    def __str__(self):
        return f"camera {self.camera.serial}"

    def get_username(self):
        return str(self)


class CameraSignatureAuthentication(BaseAuthentication):
    """Authenticates `X-Kluis-*` signed requests; other requests are left to other classes."""

    def authenticate_header(self, request):
        return "KluisCamera"

    def authenticate(self, request):
        meta = request.META
        camera_id = meta.get("HTTP_X_KLUIS_CAMERA")
        if camera_id is None:
            return None
        try:
            return self._authenticate(request, meta, camera_id)
        except KluisError as exc:
            _record_failure(request, camera_id, exc)
            raise

    def _authenticate(self, request, meta, camera_id):
        timestamp = meta.get("HTTP_X_KLUIS_TIMESTAMP", "")
        nonce = meta.get("HTTP_X_KLUIS_NONCE", "")
        body_sha = meta.get("HTTP_X_KLUIS_CONTENT_SHA256", "")
        signature = meta.get("HTTP_X_KLUIS_SIGNATURE", "")
        if not (timestamp and nonce and body_sha and signature):
            raise CameraAuthError(
                _(
                    "A signed camera request needs X-Kluis-Camera, X-Kluis-Timestamp, "
                    "X-Kluis-Nonce, X-Kluis-Content-SHA256 and X-Kluis-Signature."
                ),
                code="camera-signature-missing",
            )
        try:
            camera_uuid = uuid.UUID(camera_id)
        except ValueError:
            raise CameraAuthError(_("X-Kluis-Camera is not a camera id."), code="camera-unknown")
        camera = (
            Camera.objects.select_related("organisation", "team").filter(pk=camera_uuid).first()
        )
        if camera is None or not camera.public_key:
            raise CameraAuthError(
                _("This camera is not enrolled here; enrol it with a code first."),
                code="camera-unknown",
            )
        # ASCII digits only: str.isdigit() also accepts '٣' or '²', which int() then reads as
        # another number or refuses with a ValueError (a 500).
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise CameraAuthError(_("X-Kluis-Timestamp must be unix seconds."), code="camera-clock")
        # Real time, not the injectable clock: the camera's clock is compared with the world's.
        skew = abs(int(timestamp) - int(time.time()))
        if skew > settings.CAMERA_CLOCK_SKEW_SECONDS:
            raise CameraAuthError(
                _(
                    "The request's timestamp is %(skew)d s away from the server's clock; the "
                    "limit is %(limit)d s. Set the camera's clock and sign again."
                )
                % {"skew": skew, "limit": settings.CAMERA_CLOCK_SKEW_SECONDS},
                code="camera-clock",
            )
        if not _NONCE.match(nonce):
            raise CameraAuthError(
                _("X-Kluis-Nonce must be 32 lower-case hex characters."), code="camera-nonce"
            )
        if not _HEX64.match(body_sha):
            raise CameraAuthError(
                _("X-Kluis-Content-SHA256 must be 64 lower-case hex characters."),
                code="camera-signature-invalid",
            )
        try:
            # Keys enrolled before enrolment checked them may be of small order, and OpenSSL's
            # verifier accepts forged signatures for those.
            check_camera_public_key(bytes(camera.public_key))
        except InvalidCameraKey:
            raise CameraAuthError(
                _(
                    "This camera's enrolled key is not a usable Ed25519 key; retire the camera "
                    "and enrol it again with a new key."
                ),
                code="camera-key-invalid",
            )
        try:
            sig = base64.b64decode(signature, validate=True)
            Ed25519PublicKey.from_public_bytes(bytes(camera.public_key)).verify(
                sig,
                string_to_sign(request.method, request.get_full_path(), timestamp, nonce, body_sha),
            )
        except (InvalidSignature, ValueError, binascii.Error):
            raise CameraAuthError(
                _("The request signature does not verify with this camera's enrolled key."),
                code="camera-signature-invalid",
            )
        if camera.status == Camera.Status.RETIRED:
            raise KluisError(
                _("This camera is retired and cannot deliver footage."),
                code="camera-retired",
                status=403,
            )
        if not camera.may_deliver:
            raise CameraAuthError(_("This camera is not enrolled."), code="camera-unknown")
        if not remember_nonce(camera, nonce):
            raise CameraAuthError(
                _("This nonce was used before: the request is a replay. Sign a fresh request."),
                code="camera-replay",
            )
        if not self._streamed(request):
            body = request._request.read(MAX_SIGNED_BODY + 1) if self._has_body(request) else b""
            if len(body) > MAX_SIGNED_BODY:
                raise KluisError(_("The request body is too large."), code="body-too-large")
            if hashlib.sha256(body).hexdigest() != body_sha:
                raise BodyHashMismatch(
                    _("The body's SHA-256 differs from X-Kluis-Content-SHA256; nothing was kept.")
                )
            # Let DRF's parsers see the body we consumed.
            request._request._body = body
            request._request._stream = _Replay(body)
        return CameraPrincipal(camera=camera, body_sha256=body_sha), camera

    @staticmethod
    def _streamed(request) -> bool:
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip()
        return request.method == "PATCH" and content_type == STREAMED_CONTENT_TYPE

    @staticmethod
    def _has_body(request) -> bool:
        try:
            return int(request.META.get("CONTENT_LENGTH") or 0) > 0
        except ValueError:
            return False


def _record_failure(request, camera_id: str, exc: KluisError) -> None:
    """Audit a refused camera request (CAMERA_AUTH_FAILED).

    In the camera's organisation chain when the header names a known camera, else in the
    installation chain. Against a flood: aggregated per camera (or, for an unknown camera, per
    client address) and minute by `refusal_recorded`; only the first refusal of each source in
    a minute is an entry, the others are counted, and at most a fixed number of sources per
    chain and minute get their own entry.
    """
    camera = None
    with contextlib.suppress(ValueError, AttributeError):
        camera = (
            Camera.objects.select_related("organisation").filter(pk=uuid.UUID(camera_id)).first()
        )
    address = request.META.get("REMOTE_ADDR", "")[:64]
    source = f"camera:{camera.pk}" if camera is not None else f"address:{address}"
    refusal_recorded(
        camera.organisation if camera is not None else None,
        AuditEvent.CAMERA_AUTH_FAILED,
        key=source,
        actor_label=f"camera {camera.serial}"
        if camera is not None
        else f"unknown camera {address}",
        details={
            "camera": str(camera.pk) if camera is not None else camera_id[:64],
            "address": address,
            "method": request.method,
            "path": request.path[:200],
            "code": exc.code,
            "status": exc.status,
        },
    )


class _Replay:
    """A read-only stream over bytes already read, for Django's request parsing."""

    def __init__(self, data: bytes):
        self._io = io.BytesIO(data)

    def read(self, *args):
        return self._io.read(*args)

    def readline(self, *args):
        return self._io.readline(*args)


class IsCamera(BasePermission):
    """Only an authenticated, enrolled camera (never a person) may call camera endpoints."""

    message = _lazy("Only an enrolled camera may use this endpoint.")

    def has_permission(self, request, view):
        return isinstance(request.user, CameraPrincipal)


class CameraSignatureScheme(OpenApiAuthenticationExtension):
    target_class = "kluis.devices.auth.CameraSignatureAuthentication"
    name = "cameraSignature"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Kluis-Signature",
            "description": "Ed25519 request signature of the camera (docs/api-camera.md).",
        }
