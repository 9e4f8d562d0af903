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

RECEIPT_KEY_NAME = "server/receipt-ed25519"


def organisation_private_key(organisation) -> X25519PrivateKey:
    """The organisation's X25519 private key from the key store (for unwrapping at ingest)."""
    from .models import OrganisationKey

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
