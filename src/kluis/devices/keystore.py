"""The server key store: organisation keys, the receipt key and one data key per recording.

Crypto-shredding (RET-4) rests on this: the stored copy of a recording no longer carries its
organisation-wrapped data key, so destroying the recording's entry here makes the footage
unreadable everywhere, backups of the footage store included.

`KeyStore` is the one interface; `LocalKeyStore` keeps each key as a small file wrapped
(AES-256-GCM) under a master key from KLUIS_MASTER_KEY or KLUIS_MASTER_KEY_FILE. An HSM
(PKCS#11) implementation would keep the same names and methods with keys that never leave it.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from urllib.parse import urlparse

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kluis.sealed.durable import fsync_dir

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")
_MAGIC = b"KKS1"


class KeyStoreError(RuntimeError):
    """The key store cannot do what was asked; the message says what to check."""


class KeyMissing(KeyStoreError):
    """No such key: never created, or destroyed (the footage it protected is shredded)."""


class KeyStore(ABC):
    """Named secrets. Names look like paths: `org/<id>/x25519`, `recording/<id>/data-key`."""

    @abstractmethod
    def put(self, name: str, secret: bytes) -> None:
        """Create `name` durably; an existing entry with the same secret is fine, another is not."""

    @abstractmethod
    def get(self, name: str) -> bytes:
        """The secret, or KeyMissing."""

    @abstractmethod
    def exists(self, name: str) -> bool: ...

    @abstractmethod
    def destroy(self, name: str) -> bool:
        """Remove `name` for good; True when it existed."""


class LocalKeyStore(KeyStore):
    """Keys as files under a directory, each wrapped under the master key with its name as AAD."""

    def __init__(self, root: Path, master_key: bytes):
        if len(master_key) != 32:
            raise ImproperlyConfigured("The master key must be 32 bytes (base64 of 32 bytes).")
        self.root = Path(root)
        self._aead = AESGCM(master_key)

    def _path(self, name: str) -> Path:
        if not _NAME.match(name) or ".." in name:
            raise KeyStoreError(f"Invalid key name {name!r}.")
        return self.root / f"{name}.key"

    def _aad(self, name: str) -> bytes:
        return b"kluis-keystore/1 " + name.encode()

    def put(self, name: str, secret: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        nonce = os.urandom(12)
        blob = _MAGIC + nonce + self._aead.encrypt(nonce, bytes(secret), self._aad(name))
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, blob)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # link() refuses to replace: two processes creating the same key cannot both win.
            os.link(tmp, path)
        except FileExistsError:
            if self.get(name) != bytes(secret):
                raise KeyStoreError(f"Key {name!r} already exists with another value.")
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(path.parent)

    def get(self, name: str) -> bytes:
        path = self._path(name)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise KeyMissing(f"Key {name!r} is not in the key store (never created or destroyed).")
        if blob[:4] != _MAGIC:
            raise KeyStoreError(f"Key store entry {name!r} is damaged.")
        try:
            return self._aead.decrypt(blob[4:16], blob[16:], self._aad(name))
        except InvalidTag:
            raise KeyStoreError(
                f"Key store entry {name!r} does not open with this master key: check "
                "KLUIS_MASTER_KEY / KLUIS_MASTER_KEY_FILE."
            )

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def destroy(self, name: str) -> bool:
        path = self._path(name)
        try:
            size = path.stat().st_size
            with open(path, "r+b") as fh:  # overwrite first: helps on disks that do not remap
                fh.write(bytes(size))
                fh.flush()
                os.fsync(fh.fileno())
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        return True


def _master_key() -> bytes:
    raw = settings.MASTER_KEY
    if not raw and settings.MASTER_KEY_FILE:
        raw = Path(settings.MASTER_KEY_FILE).read_text().strip()
    if not raw:
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured(
                "KLUIS_MASTER_KEY or KLUIS_MASTER_KEY_FILE is not set. Generate one with: "
                "python -c 'import os,base64; print(base64.b64encode(os.urandom(32)).decode())'"
            )
        # Development and tests: a generated master key in the data directory.
        path = Path(settings.DATA_DIR) / "master.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(base64.b64encode(os.urandom(32)).decode())
                    fh.flush()
                    os.fsync(fh.fileno())
            except FileExistsError:
                pass
        raw = path.read_text().strip()
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        raise ImproperlyConfigured("The master key is not valid base64.")
    if len(key) != 32:
        raise ImproperlyConfigured("The master key must be base64 of exactly 32 bytes.")
    return key


_lock = threading.Lock()
_cache: dict[str, KeyStore] = {}


def get_keystore() -> KeyStore:
    """The key store named by KLUIS_KEYSTORE_URL (file:///path is the one built in)."""
    url = settings.KEYSTORE_URL
    with _lock:
        store = _cache.get(url)
        if store is None:
            parsed = urlparse(url)
            if parsed.scheme != "file":
                raise ImproperlyConfigured(
                    f"KLUIS_KEYSTORE_URL {url!r}: only file:///path is supported by this version."
                )
            store = _cache[url] = LocalKeyStore(Path(parsed.path), _master_key())
        return store
