"""SealedWriter: seal a recording on the camera while it is being recorded.

The writer encrypts each full chunk the moment it is complete and flushes it, so a power loss
loses at most the chunk being filled (REC/CAM-1). It holds the payload key only while recording;
``finalize`` (or ``abandon``) drops it, and the data key itself is dropped right after it has been
wrapped to the organisation's public key, so the camera cannot read what it wrote (CAM-1).
"""

import hashlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import hpke
from .format import (
    DEFAULT_CHUNK_SIZE,
    END_MAGIC,
    FOOTER,
    HEADER_PREFIX,
    HPKE_INFO,
    KEY_BLOCK_HPKE,
    MAGIC,
    MAX_CHUNK_SIZE,
    MAX_CHUNKS,
    MAX_JSON,
    NONCE_PREFIX_LEN,
    REC_CHUNK,
    REC_LAST,
    REC_MANIFEST,
    RECORD_HEAD,
    SIG_DOMAIN_HEADER,
    SIG_DOMAIN_MANIFEST,
    TAG_LEN,
    VERSION,
    Manifest,
    canonical_json,
    check_seconds,
    chunk_nonce,
    chunk_signature_message,
    derive_key_commitment,
    derive_payload_key,
    format_time,
    manifest_json,
)
from .keys import ed25519_private, public_bytes, x25519_public


def _check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 256:
        raise ValueError(f"{what} must be a non-empty string of at most 256 characters")
    return value


def _check_metadata(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict of JSON values")
    try:
        canonical_json(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{what} must hold only JSON values (str, int, float, bool, None, list, dict): {exc}"
        )
    return dict(value)


class SealedWriter:
    """Writes one sealed recording to a binary file object as the footage arrives.

    Keys may be `cryptography` key objects or raw 32-byte strings. ``fileobj`` needs only
    ``write`` and ``flush`` (and ``fileno`` when ``fsync=True``); every write must be complete, as
    with any buffered file. With ``fsync=True`` each chunk is forced to storage before ``write``
    returns, which is what makes the power-loss guarantee hold on a real camera.

    ``_entropy`` is for test vectors only: a callable ``n -> bytes`` that replaces os.urandom for
    the data key (32), the nonce prefix (7) and the HPKE ephemeral key seed (32), in that order.
    """

    def __init__(
        self,
        fileobj: BinaryIO,
        *,
        organisation_public_key: Any,
        camera_private_key: Any,
        recording_id: str,
        organisation_id: str,
        camera_id: str,
        started_at: datetime,
        pre_record_seconds: int | float,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        metadata: dict[str, Any] | None = None,
        fsync: bool = False,
        _entropy: Callable[[int], bytes] | None = None,
    ) -> None:
        org_pk = x25519_public(organisation_public_key)
        self._camera_key = ed25519_private(camera_private_key)
        if type(chunk_size) is not int or not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size must be an int between 1 and {MAX_CHUNK_SIZE}")
        self._metadata = _check_metadata(metadata, "metadata")
        random = _entropy or os.urandom
        data_key = random(32)
        nonce_prefix = random(NONCE_PREFIX_LEN)
        header_obj = {
            "camera_id": _check_id(camera_id, "camera_id"),
            "camera_public_key": public_bytes(self._camera_key.public_key()).hex(),
            "chunk_size": chunk_size,
            "key_commitment": derive_key_commitment(data_key).hex(),
            "metadata": self._metadata,
            "nonce_prefix": nonce_prefix.hex(),
            "organisation_id": _check_id(organisation_id, "organisation_id"),
            "organisation_public_key": public_bytes(org_pk).hex(),
            "pre_record_seconds": check_seconds(pre_record_seconds),
            "recording_id": _check_id(recording_id, "recording_id"),
            "started_at": format_time(started_at, "started_at"),
        }
        raw = canonical_json(header_obj)
        if len(raw) > MAX_JSON:
            raise ValueError("metadata is too large for the header (limit 1 MiB of JSON)")
        signed = HEADER_PREFIX.pack(MAGIC, VERSION, len(raw)) + raw
        self._header_sha256 = hashlib.sha256(signed).digest()
        enc, wrapped = hpke.seal(org_pk, HPKE_INFO, self._header_sha256, data_key, random(32))
        self._aead: AESGCM | None = AESGCM(derive_payload_key(data_key))
        del data_key  # from here on only the payload key exists, and only until finalize
        self._f = fileobj
        self._fsync = fsync
        self._write(
            signed,
            self._camera_key.sign(SIG_DOMAIN_HEADER + signed),
            bytes([KEY_BLOCK_HPKE]),
            enc,
            wrapped,
        )
        self._sync()

        self._chunk_size = chunk_size
        self._nonce_prefix = nonce_prefix
        self._recording_id = recording_id
        self._organisation_id = organisation_id
        self._camera_id = camera_id
        self._started_at = started_at
        self._pre_record_seconds = pre_record_seconds
        self._org_pk_bytes = public_bytes(org_pk)
        self._buf = bytearray(chunk_size)
        self._fill = 0
        self._out = bytearray(chunk_size + TAG_LEN)
        self._plain_hash = hashlib.sha256()
        self._cipher_hash = hashlib.sha256()
        self._index = 0
        self._size = 0
        self._manifest: Manifest | None = None

    # -- properties the camera shows or logs ------------------------------------------------
    @property
    def plaintext_size(self) -> int:
        """Bytes of footage accepted so far (including the unsealed tail in the buffer)."""
        return self._size

    @property
    def chunks_written(self) -> int:
        """Chunks sealed and flushed so far."""
        return self._index

    @property
    def closed(self) -> bool:
        """True after finalize or abandon: the writer holds no key any more."""
        return self._aead is None

    @property
    def header_sha256(self) -> bytes:
        """The recording's header hash: its identity in every signature and tag."""
        return self._header_sha256

    # -- writing -----------------------------------------------------------------------------
    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append footage; each chunk that fills up is sealed, written and flushed right away."""
        if self._aead is None:
            raise ValueError("this sealed recording is already finalized or abandoned")
        view = memoryview(data).cast("B")
        total = len(view)
        c = self._chunk_size
        while view:
            if self._fill == 0 and len(view) >= c:
                # Whole chunks straight from the caller's buffer: no copy.
                self._seal_chunk(view[:c], last=False)
                view = view[c:]
                continue
            take = min(c - self._fill, len(view))
            self._buf[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill == c:
                self._seal_chunk(memoryview(self._buf), last=False)
                self._fill = 0
        self._size += total
        return total

    def finalize(self, stopped_at: datetime, metadata: dict[str, Any] | None = None) -> Manifest:
        """Seal the last chunk, write the signed manifest, forget the key; returns the manifest.

        ``metadata`` is merged over the metadata given at start (for example the officer's
        marks made during recording).
        """
        if self._aead is None:
            raise ValueError("this sealed recording is already finalized or abandoned")
        stop = format_time(stopped_at, "stopped_at")
        final_meta = {**self._metadata, **_check_metadata(metadata, "metadata")}
        self._seal_chunk(memoryview(self._buf)[: self._fill], last=True)
        self._fill = 0
        plain_sha = self._plain_hash.digest()
        cipher_sha = self._cipher_hash.digest()
        raw = manifest_json(
            self._recording_id, stop, self._index, self._size, plain_sha, cipher_sha, final_meta
        )
        if len(raw) > MAX_JSON:
            raise ValueError("metadata is too large for the manifest (limit 1 MiB of JSON)")
        sig = self._camera_key.sign(SIG_DOMAIN_MANIFEST + self._header_sha256 + raw)
        record_len = RECORD_HEAD.size + len(raw) + len(sig)
        self._write(
            RECORD_HEAD.pack(REC_MANIFEST, len(raw)), raw, sig, FOOTER.pack(record_len, END_MAGIC)
        )
        self._sync()
        self._forget()
        self._manifest = Manifest(
            recording_id=self._recording_id,
            organisation_id=self._organisation_id,
            camera_id=self._camera_id,
            started_at=datetime.fromisoformat(format_time(self._started_at, "started_at")),
            pre_record_seconds=self._pre_record_seconds,
            chunk_size=self._chunk_size,
            camera_public_key=public_bytes(self._camera_key.public_key()),
            organisation_public_key=self._org_pk_bytes,
            header_sha256=self._header_sha256,
            stopped_at=datetime.fromisoformat(stop).astimezone(UTC),
            chunk_count=self._index,
            plaintext_size=self._size,
            plaintext_sha256=plain_sha,
            ciphertext_sha256=cipher_sha,
            complete=True,
            metadata=final_meta,
        )
        return self._manifest

    def abandon(self) -> None:
        """Stop without a manifest and forget the key; the file stays an incomplete recording.

        Whole chunks already written remain verifiable and openable; the unsealed tail in the
        buffer is discarded, exactly as a power loss would.
        """
        self._forget()

    def __enter__(self) -> "SealedWriter":
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        # On an error we do not pretend the recording ended normally: it stays incomplete.
        if self._aead is None:
            return
        if exc_type is None:
            self.finalize(datetime.now(UTC))
        else:
            self.abandon()

    # -- internals ---------------------------------------------------------------------------
    def _seal_chunk(self, plain: memoryview, last: bool) -> None:
        if self._index >= MAX_CHUNKS:
            raise ValueError("recording too long for the format's 32-bit chunk counter")
        assert self._aead is not None
        n = len(plain)
        out = memoryview(self._out)[: n + TAG_LEN]
        nonce = chunk_nonce(self._nonce_prefix, self._index, last)
        self._aead.encrypt_into(nonce, plain, self._header_sha256, out)
        self._plain_hash.update(plain)
        self._cipher_hash.update(out)
        msg = chunk_signature_message(
            self._header_sha256, self._index, last, self._cipher_hash.copy().digest()
        )
        self._write(
            RECORD_HEAD.pack(REC_LAST if last else REC_CHUNK, n + TAG_LEN),
            out,
            self._camera_key.sign(msg),
        )
        self._sync()
        self._index += 1

    def _write(self, *parts: bytes | memoryview) -> None:
        for part in parts:
            self._f.write(part)

    def _sync(self) -> None:
        self._f.flush()
        if self._fsync:
            os.fsync(self._f.fileno())

    def _forget(self) -> None:
        # Python cannot wipe memory it has handed to OpenSSL, but dropping every reference lets
        # the AESGCM context (and its key schedule) be freed now; buffers that held plaintext
        # are zeroed because we own them.
        self._aead = None
        self._buf[:] = bytes(len(self._buf))
        self._out[:] = bytes(len(self._out))
        self._fill = 0
