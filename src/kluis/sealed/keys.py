"""Key handling: accept key objects or raw bytes, generate key pairs, fingerprint keys.

Raw 32-byte keys are accepted everywhere so that keys can be stored in a database column or a
camera's secure element without pickling `cryptography` objects; key objects are accepted so that
callers holding them (for example from a key store) need not export them.
"""

import hashlib
from typing import NamedTuple

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw
_RAW_PRIV = serialization.PrivateFormat.Raw
_NO_ENC = serialization.NoEncryption()


class InvalidKeyError(ValueError):
    """A key argument has the wrong type or length: a programming error, not a file problem."""


class KeyPair(NamedTuple):
    """A private and public key as raw 32-byte strings (unpacks as ``private, public``)."""

    private_key: bytes
    public_key: bytes


def generate_organisation_keypair() -> KeyPair:
    """Make a fresh X25519 key pair for an organisation; cameras seal to its public half.

    The private half belongs in the server's key store only (see docs/sealed-format.md).
    """
    private = X25519PrivateKey.generate()
    return KeyPair(
        private.private_bytes(_RAW, _RAW_PRIV, _NO_ENC),
        private.public_key().public_bytes(_RAW, _RAW_PUB),
    )


def generate_camera_keypair() -> KeyPair:
    """Make a fresh Ed25519 key pair for a camera; the server enrols the public half (ORG-5)."""
    private = Ed25519PrivateKey.generate()
    return KeyPair(
        private.private_bytes(_RAW, _RAW_PRIV, _NO_ENC),
        private.public_key().public_bytes(_RAW, _RAW_PUB),
    )


def _raw32(key: object, what: str) -> bytes:
    """Check that raw key material is exactly 32 bytes; a wrong length is a programming error."""
    raw = bytes(key)  # type: ignore[call-overload]
    if len(raw) != 32:
        raise InvalidKeyError(f"{what} must be 32 raw bytes, got {len(raw)} bytes")
    return raw


def _coerce(key: object, cls, from_bytes, what: str):
    """A key object of `cls` from one already made or from its 32 raw bytes; else TypeError."""
    if isinstance(key, cls):
        return key
    if isinstance(key, bytes | bytearray | memoryview):
        return from_bytes(_raw32(key, what))
    raise TypeError(f"{what} must be {cls.__name__} or bytes, not {type(key)}")


def x25519_private(key: object) -> X25519PrivateKey:
    """Coerce an organisation private key (object or 32 raw bytes) to a key object."""
    return _coerce(
        key, X25519PrivateKey, X25519PrivateKey.from_private_bytes, "organisation private key"
    )


def x25519_public(key: object) -> X25519PublicKey:
    """Coerce an organisation public key (object or 32 raw bytes) to a key object."""
    return _coerce(
        key, X25519PublicKey, X25519PublicKey.from_public_bytes, "organisation public key"
    )


def ed25519_private(key: object) -> Ed25519PrivateKey:
    """Coerce a camera private key (object or 32 raw bytes) to a key object."""
    return _coerce(
        key, Ed25519PrivateKey, Ed25519PrivateKey.from_private_bytes, "camera private key"
    )


def ed25519_public(key: object) -> Ed25519PublicKey:
    """Coerce a camera public key (object or 32 raw bytes) to a key object."""
    return _coerce(key, Ed25519PublicKey, Ed25519PublicKey.from_public_bytes, "camera public key")


def public_bytes(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    """Raw 32 bytes of a public key, as written into the header."""
    return key.public_bytes(_RAW, _RAW_PUB)


def fingerprint(public_key: bytes) -> str:
    """Short human-readable key id for error messages: first 8 bytes of SHA-256, hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]
