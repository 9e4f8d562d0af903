"""Server-side keys: the organisations' sealing keys and the receipt signing key.

Receipts are what a camera needs before it erases footage (CAM-2), so they are signed with one
server-wide Ed25519 key the camera learns at enrolment.
"""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kluis.sealed.keys import generate_camera_keypair, public_bytes

from .keystore import KeyMissing, get_keystore
from .models import OrganisationKey

RECEIPT_KEY_NAME = "server/receipt-ed25519"


def organisation_private_key(organisation) -> X25519PrivateKey:
    """The organisation's X25519 private key from the key store (for unwrapping at ingest)."""
    key = OrganisationKey.objects.get(organisation=organisation)
    return X25519PrivateKey.from_private_bytes(get_keystore().get(key.keystore_name))


def _receipt_key() -> Ed25519PrivateKey:
    store = get_keystore()
    try:
        raw = store.get(RECEIPT_KEY_NAME)
    except KeyMissing:
        # Ed25519 key generation is the same for cameras and the server.
        store.put(RECEIPT_KEY_NAME, generate_camera_keypair().private_key)
        raw = store.get(RECEIPT_KEY_NAME)
    return Ed25519PrivateKey.from_private_bytes(raw)


def receipt_public_key() -> bytes:
    """Raw 32 bytes of the receipt verification key, as handed to cameras at enrolment."""
    return public_bytes(_receipt_key().public_key())


def canonical_json(fields: dict) -> bytes:
    """The signed form of a receipt (docs/api-camera.md section 5)."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_receipt(fields: dict) -> dict:
    """The receipt: the fields plus the server's signature over their canonical JSON."""
    signature = _receipt_key().sign(canonical_json(fields))
    return {**fields, "signature": base64.b64encode(signature).decode()}


# --- camera public keys ---------------------------------------------------------------------
#
# An Ed25519 public key is a compressed point: the y coordinate (little-endian, 255 bits) and
# the sign of x in the top bit. A key of small order (the identity, all-zero, and the other six
# points of order 2, 4 or 8) makes "signatures" that verify for every message under lax
# verifiers: whoever knows the camera's serial forges its requests and recordings. So enrolment
# checks, in plain Python and without trusting any library's verifier, that the key decodes to
# a point on the curve with a canonical y (< p), and that [8]P is not the identity.

_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


class InvalidCameraKey(ValueError):
    """The 32 bytes are not a usable Ed25519 public key; the message says why."""


def _decode_point(raw: bytes) -> tuple[int, int]:
    if len(raw) != 32:
        raise InvalidCameraKey("an Ed25519 public key has 32 bytes")
    number = int.from_bytes(raw, "little")
    sign = number >> 255
    y = number & ((1 << 255) - 1)
    if y >= _P:
        raise InvalidCameraKey("the key is not canonically encoded (y >= p)")
    # x^2 = (y^2 - 1) / (d y^2 + 1)  (RFC 8032 section 5.1.3)
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x = (u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P)) % _P
    if (v * x * x - u) % _P != 0:
        x = (x * _SQRT_M1) % _P
    if (v * x * x - u) % _P != 0:
        raise InvalidCameraKey("the key is not a point on the curve")
    if x == 0 and sign == 1:
        raise InvalidCameraKey("the key is not canonically encoded (x = 0 with sign bit set)")
    if x & 1 != sign:
        x = _P - x
    return x, y


def _add(p1: tuple[int, int, int, int], p2: tuple[int, int, int, int]):
    # Extended coordinates (X, Y, Z, T), the unified addition of RFC 8032 section 5.1.4.
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def check_camera_public_key(raw: bytes) -> None:
    """Raise InvalidCameraKey unless `raw` is a canonical Ed25519 point of large order.

    Refuses every one of the eight small-order points in any encoding (RFC 8032; the blocklist
    in libsodium's `crypto_sign_ed25519` verifier), encodings with y >= p, and bytes that are no
    point on the curve.
    """
    x, y = _decode_point(bytes(raw))
    point = (x, y, 1, x * y % _P)
    for _doubling in range(3):
        point = _add(point, point)
    px, py, pz, _pt = point
    if px % _P == 0 and (py - pz) % _P == 0:
        raise InvalidCameraKey("the key is a point of small order")
