"""The server's Ed25519 key that signs audit checkpoints.

The private key never goes into the database: whoever can rewrite the database must not also be
able to sign a rewritten chain. It comes from KLUIS_AUDIT_SIGNING_KEY (PEM, or base64 of the 32
raw bytes) or from a file (settings.AUDIT_SIGNING_KEY_FILE) that is created with mode 0600 on
first use. The public key is published in the admin and at GET /api/v1/audit/public-key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .standalone_verify import key_id, load_public_key, public_raw


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    key_id: str
    public_raw: bytes

    @property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode("ascii")

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode("ascii")


def _parse_private(text: str) -> Ed25519PrivateKey:
    value = text.strip()
    if value.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(value.encode("ascii"), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("The audit signing key is not an Ed25519 key.")
        return key
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured(
            "KLUIS_AUDIT_SIGNING_KEY must be an Ed25519 private key in PEM, or the 32 raw bytes in "
            "base64."
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def _load_or_create_file(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written aside and linked into place, so two processes starting at once end up with
        # one key and nobody ever reads a half-written file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)  # another process was first: use its key
        finally:
            os.unlink(tmp)
    return _parse_private(path.read_text())


@functools.cache
def signing_key() -> SigningKey:
    """The key this server signs checkpoints with (loaded once per process)."""
    configured = getattr(settings, "AUDIT_SIGNING_KEY", None)
    if configured:
        private = _parse_private(configured)
    else:
        private = _load_or_create_file(Path(settings.AUDIT_SIGNING_KEY_FILE))
    raw = public_raw(private.public_key())
    return SigningKey(private=private, key_id=key_id(raw), public_raw=raw)


def trusted_public_keys(extra: list[str] | tuple[str, ...] = ()) -> dict:
    """Public keys by key id that verification accepts: this server's, plus any given."""
    key = signing_key()
    keys = {key.key_id: key.private.public_key()}
    for text in extra:
        public = load_public_key(text)
        keys[key_id(public_raw(public))] = public
    return keys
