"""Verify and open sealed recordings: server ingest, playback and export use these.

``verify`` needs only the camera's public key: it proves which camera made a recording and that
no bit changed (CAM-3, POL-5), without being able to decrypt it. ``open_sealed`` additionally needs
the organisation's private key or the recording's data key and decrypts any byte range in memory,
chunk by chunk (STO-3): nothing is ever written to disk in the clear.
"""

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import hpke
from .errors import KeyRemovedError, SealedFormatError, TamperedError, TruncatedError, WrongKeyError
from .format import (
    HPKE_INFO,
    KEY_BLOCK_HPKE,
    KEY_BLOCK_LEN,
    KEY_BLOCK_REMOVED,
    REC_CHUNK,
    REC_LAST,
    RECORD_HEAD,
    SIG_LEN,
    TAG_LEN,
    Header,
    Manifest,
    ManifestRecord,
    check_camera,
    check_no_whole_trailer,
    chunk_nonce,
    chunk_signature_message,
    complete_layout_matches,
    derive_key_commitment,
    derive_payload_key,
    file_size,
    is_torn_tail,
    read_exact,
    read_exact_into,
    read_header,
    read_manifest,
)
from .keys import InvalidKeyError, ed25519_public, fingerprint, public_bytes, x25519_private


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`.

    ``complete`` is False for a recording without a valid closing manifest (power loss before
    finalize, or cut off later): then only ``chunk_count`` whole chunks are proven, and
    ``discarded_bytes`` says how many bytes after them could not be authenticated and were
    ignored. ``incomplete_reason`` explains it in words for the audit log.
    """

    manifest: Manifest
    complete: bool
    chunk_count: int
    plaintext_size: int
    header_sha256: bytes
    ciphertext_sha256: bytes
    discarded_bytes: int
    has_wrapped_key: bool
    incomplete_reason: str | None = None


def _manifest(
    header: Header, rec: ManifestRecord | None, count: int, size: int, cipher: bytes | None
) -> Manifest:
    metadata: dict[str, Any] = dict(header.metadata)
    if rec is not None:
        metadata = dict(rec.metadata)  # the closing metadata already contains the starting one
    return Manifest(
        recording_id=header.recording_id,
        organisation_id=header.organisation_id,
        camera_id=header.camera_id,
        started_at=header.started_at,
        pre_record_seconds=header.pre_record_seconds,
        chunk_size=header.chunk_size,
        camera_public_key=header.camera_public_key,
        organisation_public_key=header.organisation_public_key,
        header_sha256=header.sha256,
        stopped_at=rec.stopped_at if rec else None,
        chunk_count=count,
        plaintext_size=size,
        plaintext_sha256=rec.plaintext_sha256 if rec else None,
        ciphertext_sha256=cipher,
        complete=rec is not None,
        metadata=metadata,
    )


def _guard(func):  # type: ignore[no-untyped-def]
    """Make sure only SealedFormatError leaves the parser on arbitrary input.

    The parsing code raises precise errors itself; this net catches what slips through (a
    library raising ValueError or OverflowError on a crafted value) and reports it as damage.
    """

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return func(*args, **kwargs)
        except (SealedFormatError, InvalidKeyError, TypeError, OSError):
            raise
        except (ValueError, OverflowError, InvalidTag, InvalidSignature, MemoryError) as exc:
            raise TamperedError(
                f"The recording is damaged and cannot be read ({type(exc).__name__})."
            ) from exc

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    wrapper.__wrapped__ = func  # type: ignore[attr-defined]
    return wrapper


@_guard
def verify(
    fileobj: BinaryIO, camera_public_key: Any, *, require_complete: bool = False
) -> VerifyResult:
    """Check that a sealed recording was made by this camera and that not one bit changed.

    Reads the file once, front to back, in constant memory. Checks the header signature, every
    chunk's signature (each covers its index, last flag and the SHA-256 of all ciphertext up to
    it), and the closing manifest. It cannot check the plaintext hash (that needs the data key;
    the reader does it). Raises a SealedFormatError subclass on anything wrong. A recording that
    was cut off is not wrong: it verifies up to its last whole chunk with ``complete=False``,
    unless ``require_complete`` is set, in which case it raises TruncatedError.
    """
    camera_pk = ed25519_public(camera_public_key)
    f = fileobj
    size = file_size(f)
    header = read_header(f)
    check_camera(header, camera_pk)
    rec = read_manifest(f, size, header, camera_pk)
    if rec is not None and not complete_layout_matches(header, rec):
        raise TamperedError(
            "The chunks between header and manifest do not match the manifest's chunk count and "
            "size: chunks were added, removed or cut."
        )
    end = rec.offset if rec is not None else size
    c = header.chunk_size
    buf = bytearray(c + TAG_LEN)
    running = hashlib.sha256()
    pos = header.data_offset
    index = 0
    plain_size = 0
    saw_last = False
    reason: str | None = None
    while pos < end:
        remaining = end - pos
        f.seek(pos)
        head = f.read(RECORD_HEAD.size) if remaining >= RECORD_HEAD.size else b""
        kind, body_len = RECORD_HEAD.unpack(head) if len(head) == RECORD_HEAD.size else (None, 0)
        valid_shape = (kind == REC_CHUNK and body_len == c + TAG_LEN) or (
            kind == REC_LAST and TAG_LEN <= body_len < c + TAG_LEN
        )
        whole = valid_shape and RECORD_HEAD.size + body_len + SIG_LEN <= remaining
        ok = False
        if whole:
            view = memoryview(buf)[:body_len]
            read_exact_into(f, view, "chunk")
            sig = read_exact(f, SIG_LEN, "chunk signature")
            trial = running.copy()
            trial.update(view)
            last = kind == REC_LAST
            try:
                camera_pk.verify(
                    sig, chunk_signature_message(header.sha256, index, last, trial.digest())
                )
                ok = True
            except InvalidSignature:
                ok = False
        if ok:
            running = trial
            index += 1
            plain_size += body_len - TAG_LEN
            pos += RECORD_HEAD.size + body_len + SIG_LEN
            if kind == REC_LAST:
                saw_last = True
                break
            continue
        # This record cannot be authenticated. In a finalized file that is tampering. In an
        # incomplete file it is the torn tail of a power loss, but only if it is at the very end:
        # a bad record with a whole further record after it was changed, not torn.
        if rec is not None:
            raise TamperedError(
                f"Chunk {index} does not carry a valid camera signature: its bytes, its place or "
                f"the chunks before it were changed."
            )
        if not is_torn_tail(f, pos, size, header.full_record_size):
            raise TamperedError(
                f"Chunk {index} of this incomplete recording fails its camera signature while more "
                f"chunks follow: the file was changed, not just cut off."
            )
        reason = f"the file ends with {remaining} bytes that are not a whole signed chunk"
        break
    if rec is not None:
        if not saw_last or index != rec.chunk_count or pos != end:
            raise TamperedError("The chunk records do not match the manifest: chunks were changed.")
        if running.digest() != rec.ciphertext_sha256:
            raise TamperedError("The ciphertext hash in the manifest does not match the chunks.")
    if rec is None and saw_last:
        check_no_whole_trailer(f, pos, size)
    discarded = 0 if rec is not None else size - pos
    if rec is None and reason is None:
        reason = (
            "all chunks are present but the closing manifest is missing or cut off"
            if saw_last
            else "the recording was never finalized (for example a power loss)"
        )
    if rec is None and require_complete:
        raise TruncatedError(f"This recording is incomplete: {reason}.")
    cipher = running.digest()
    return VerifyResult(
        manifest=_manifest(header, rec, index, plain_size, cipher),
        complete=rec is not None,
        chunk_count=index,
        plaintext_size=plain_size,
        header_sha256=header.sha256,
        ciphertext_sha256=cipher,
        discarded_bytes=discarded,
        has_wrapped_key=header.key_block[0] == KEY_BLOCK_HPKE,
        incomplete_reason=reason,
    )


def _unwrap(header: Header, organisation_private_key: Any) -> bytes:
    sk = x25519_private(organisation_private_key)
    given = public_bytes(sk.public_key())
    if given != header.organisation_public_key:
        raise WrongKeyError(
            f"This recording was sealed for organisation {header.organisation_id!r} (key "
            f"{fingerprint(header.organisation_public_key)}), not for the private key given "
            f"(key {fingerprint(given)}). Use that organisation's key."
        )
    kind = header.key_block[0]
    if kind == KEY_BLOCK_REMOVED:
        raise KeyRemovedError(
            "The organisation-wrapped data key has been removed from this copy (the server keeps "
            "it in its key store): open it with data_key= from the key store."
        )
    if kind != KEY_BLOCK_HPKE:
        raise TamperedError("The key block has an unknown kind: the file is damaged.")
    enc, wrapped = header.key_block[1:33], header.key_block[33:]
    try:
        data_key = hpke.open_(enc, sk, HPKE_INFO, header.sha256, wrapped)
    except (InvalidTag, ValueError):
        raise TamperedError(
            "The wrapped data key does not open with the organisation key although the key "
            "matches: the key block was changed or belongs to another recording."
        )
    if derive_key_commitment(data_key) != header.key_commitment:
        raise TamperedError(
            "The wrapped data key is not the one the camera committed to in the header."
        )
    return data_key


def _check_data_key(header: Header, data_key: bytes) -> bytes:
    data_key = bytes(data_key)
    if len(data_key) != 32 or derive_key_commitment(data_key) != header.key_commitment:
        raise WrongKeyError(
            f"The data key given is not the key of recording {header.recording_id!r} (its "
            "commitment in the header does not match). Check the key store entry."
        )
    return data_key


@_guard
def unwrap_data_key(fileobj_or_header: BinaryIO | bytes, organisation_private_key: Any) -> bytes:
    """Recover a recording's 32-byte data key with the organisation's private key.

    The server does this once at ingest, stores the key in its own key store (re-wrapped under a
    per-recording entry) and then removes the wrapped key from the stored copy, so that
    destroying the key store entry shreds the recording (RET-4; docs/sealed-format.md). Accepts a
    seekable file object or the file's first bytes (at least header and key block). It does not
    check the camera: call :func:`verify` before trusting the recording.
    """
    if isinstance(fileobj_or_header, bytes | bytearray | memoryview):
        fileobj_or_header = io.BytesIO(bytes(fileobj_or_header))
    return _unwrap(read_header(fileobj_or_header), organisation_private_key)


@_guard
def key_block_span(fileobj: BinaryIO) -> tuple[int, int]:
    """(offset, length) of the unsigned key block, for an ingest that rewrites it while copying."""
    header = read_header(fileobj)
    return header.key_block_offset, KEY_BLOCK_LEN


def removed_key_block() -> bytes:
    """The bytes that replace the key block in the server's stored copy."""
    return bytes([KEY_BLOCK_REMOVED]) + bytes(KEY_BLOCK_LEN - 1)


@_guard
def remove_wrapped_key(fileobj: BinaryIO) -> None:
    """Overwrite the organisation-wrapped data key in place (file opened r+b).

    The key block is outside the camera's signatures, so the copy still verifies; afterwards only
    the server's key store can open it. Offsets do not change, so this can also be done while
    streaming the upload into storage (see :func:`key_block_span`).
    """
    offset, _ = key_block_span(fileobj)
    fileobj.seek(offset)
    fileobj.write(removed_key_block())
    fileobj.flush()


class SealedReader:
    """Random-access decryption of one sealed recording, a chunk at a time, in memory only.

    Made by :func:`open_sealed`. Holds at most one chunk's buffers. Not thread-safe (it seeks
    the file object it was given): use one reader per stream. Every chunk read is
    authenticated (AES-GCM tag bound to its index, its last flag and the header hash); a full
    iteration also checks the plaintext SHA-256 the camera signed.
    """

    def __init__(
        self,
        f: BinaryIO,
        header: Header,
        rec: ManifestRecord | None,
        data_key: bytes,
        size: int,
        camera_pk: Ed25519PublicKey,
    ) -> None:
        self._f = f
        self._camera_pk = camera_pk
        self._h = header
        self._aead = AESGCM(derive_payload_key(data_key))
        self._rec = rec
        c = header.chunk_size
        self._cbuf = bytearray(RECORD_HEAD.size + c + TAG_LEN)
        if rec is not None:
            self._count = rec.chunk_count
            self._size = rec.plaintext_size
            self._last_is_final = True
        else:
            self._count, self._size, self._last_is_final = self._scan_incomplete(size)
        self.manifest = _manifest(
            header, rec, self._count, self._size, rec.ciphertext_sha256 if rec else None
        )

    def _scan_incomplete(self, size: int) -> tuple[int, int, bool]:
        # Without a manifest, walk the record heads (5 bytes each, full records are at fixed
        # offsets) to find the whole chunks; the last candidate must also authenticate, since a
        # torn write can leave a record that looks whole but holds zeros.
        h = self._h
        c = h.chunk_size
        count, pos, final, last_len = 0, h.data_offset, False, 0
        while True:
            if pos + RECORD_HEAD.size > size:
                break
            self._f.seek(pos)
            kind, body_len = RECORD_HEAD.unpack(read_exact(self._f, RECORD_HEAD.size, "chunk"))
            if kind == REC_CHUNK and body_len == c + TAG_LEN and pos + h.full_record_size <= size:
                count += 1
                pos += h.full_record_size
                continue
            last_fits = pos + RECORD_HEAD.size + body_len + SIG_LEN <= size
            if kind == REC_LAST and TAG_LEN <= body_len < c + TAG_LEN and last_fits:
                count, final, last_len = count + 1, True, body_len - TAG_LEN
            break
        if not final and not is_torn_tail(self._f, pos, size, h.full_record_size):
            raise TamperedError(
                f"Chunk {count} of this incomplete recording is malformed while more chunks "
                "follow: the file was changed, not just cut off."
            )
        while count:
            try:
                self._decrypt(count - 1, count, final)
                break
            except TamperedError:
                count, final, last_len = count - 1, False, 0
        if final:
            check_no_whole_trailer(
                self._f,
                h.data_offset
                + (count - 1) * h.full_record_size
                + RECORD_HEAD.size
                + last_len
                + TAG_LEN
                + SIG_LEN,
                size,
            )
        plain = (count - 1) * c + last_len if final else count * c
        return count, plain, final

    @property
    def size(self) -> int:
        """Plaintext bytes that can be read (for an incomplete recording: its whole chunks)."""
        return self._size

    @property
    def complete(self) -> bool:
        """True when the camera finalized the recording and its manifest verified."""
        return self._rec is not None

    @property
    def chunk_count(self) -> int:
        """Number of readable chunks."""
        return self._count

    def _decrypt(self, index: int, count: int, final: bool, running: Any = None) -> bytes:
        # With `running` (a SHA-256 of all ciphertext before this chunk) the camera's chunk
        # signature is checked too; that needs the chunks in order, so only full reads do it.
        h = self._h
        c = h.chunk_size
        last = final and index == count - 1
        self._f.seek(h.data_offset + index * h.full_record_size)
        if last:
            head = read_exact(self._f, RECORD_HEAD.size, "chunk")
            kind, body_len = RECORD_HEAD.unpack(head)
            view = memoryview(self._cbuf)[RECORD_HEAD.size : RECORD_HEAD.size + body_len]
            ok = kind == REC_LAST and TAG_LEN <= body_len < c + TAG_LEN
            if ok:
                read_exact_into(self._f, view, "chunk")
        else:
            # A full record's size is known: head and body in one read, no extra copy.
            whole = memoryview(self._cbuf)
            read_exact_into(self._f, whole, "chunk")
            kind, body_len = RECORD_HEAD.unpack_from(whole)
            view = whole[RECORD_HEAD.size :]
            ok = kind == REC_CHUNK and body_len == c + TAG_LEN
        if not ok:
            raise TamperedError(
                f"Chunk {index} has the wrong record type or length: the file was changed."
            )
        if running is not None:
            running.update(view)
            sig = read_exact(self._f, SIG_LEN, "chunk signature")
            message = chunk_signature_message(h.sha256, index, last, running.copy().digest())
            try:
                self._camera_pk.verify(sig, message)
            except InvalidSignature:
                raise TamperedError(
                    f"Chunk {index} does not carry a valid camera signature: the file was changed."
                )
        try:
            return self._aead.decrypt(chunk_nonce(h.nonce_prefix, index, last), view, h.sha256)
        except InvalidTag:
            raise TamperedError(
                f"Chunk {index} fails authentication: its bytes or its place in the recording "
                "were changed."
            )

    @_guard
    def read_chunk(self, index: int) -> bytes:
        """Decrypt chunk ``index`` alone (random access: no earlier chunk is read)."""
        if not 0 <= index < self._count:
            raise IndexError(f"chunk {index} out of range 0..{self._count - 1}")
        return self._decrypt(index, self._count, self._last_is_final)

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        """Yield the plaintext of [start, end) piece by piece, one chunk in memory at a time.

        This is what playback streams from (STO-3): the range is clamped to the recording.
        """
        start = max(0, start)
        end = min(end, self._size)
        if start >= end:
            return
        c = self._h.chunk_size
        for index in range(start // c, (end - 1) // c + 1):
            data = self.read_chunk(index)
            base = index * c
            lo = max(start - base, 0)
            hi = min(end - base, len(data))
            yield data if (lo == 0 and hi == len(data)) else data[lo:hi]

    def read_range(self, start: int, end: int) -> bytes:
        """Plaintext bytes [start, end), like ``plaintext[start:end]`` for non-negative bounds."""
        return b"".join(self.iter_range(start, end))

    def __iter__(self) -> Iterator[bytes]:
        """Yield every chunk's plaintext in order, fully checked.

        A full read checks each chunk's camera signature (as verify does) and, at the end, the
        plaintext SHA-256 and ciphertext SHA-256 the camera signed, so an export or an ingest
        check that reads everything needs no separate verify pass.
        """
        return self._iter_checked()

    @_guard
    def _read_checked(self, index: int, running: Any) -> bytes:
        return self._decrypt(index, self._count, self._last_is_final, running)

    def _iter_checked(self) -> Iterator[bytes]:
        plain = hashlib.sha256()
        running = hashlib.sha256()
        for index in range(self._count):
            data = self._read_checked(index, running)
            plain.update(data)
            yield data
        if self._rec is not None:
            if running.digest() != self._rec.ciphertext_sha256:
                raise TamperedError("The ciphertext does not match the hash the camera signed.")
            if plain.digest() != self._rec.plaintext_sha256:
                raise TamperedError(
                    "The decrypted footage does not match the plaintext hash the camera signed."
                )


@_guard
def open_sealed(
    fileobj: BinaryIO,
    organisation_private_key: Any = None,
    camera_public_key: Any = None,
    *,
    data_key: bytes | None = None,
) -> SealedReader:
    """Open a sealed recording for decryption with the organisation key or a stored data key.

    Checks the camera's header signature and, when present, its manifest signature (cheap, no
    full read). The chunks are then authenticated one by one as they are read. Run
    :func:`verify` once (at ingest) to check every chunk's camera signature. Exactly one of
    ``organisation_private_key`` and ``data_key`` must be given; the server passes ``data_key``
    from its key store once the wrapped key has been removed from the stored copy.
    """
    if camera_public_key is None:
        raise TypeError(
            "camera_public_key is required: a recording is opened only from a known camera"
        )
    if (organisation_private_key is None) == (data_key is None):
        raise TypeError("give exactly one of organisation_private_key and data_key")
    camera_pk = ed25519_public(camera_public_key)
    size = file_size(fileobj)
    header = read_header(fileobj)
    check_camera(header, camera_pk)
    key = (
        _check_data_key(header, data_key)
        if data_key is not None
        else _unwrap(header, organisation_private_key)
    )
    rec = read_manifest(fileobj, size, header, camera_pk)
    if rec is not None and not complete_layout_matches(header, rec):
        raise TamperedError(
            "The chunks between header and manifest do not match the manifest's chunk count and "
            "size: chunks were added, removed or cut."
        )
    return SealedReader(fileobj, header, rec, key, size, camera_pk)
