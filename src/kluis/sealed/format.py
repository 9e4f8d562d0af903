"""Byte layout of a sealed recording: constants, header and manifest encoding and parsing.

The layout is specified in docs/sealed-format.md; keep the two in step. Parsing functions here
turn any malformed input into a SealedFormatError subclass: they are the only code that looks at
untrusted bytes before authentication.
"""

import hashlib
import json
import math
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from .errors import NotSealedError, TamperedError, TruncatedError, WrongKeyError
from .keys import fingerprint, public_bytes

MAGIC = b"KLUISREC"
END_MAGIC = b"KLUISEND"
VERSION = 1
DEFAULT_CHUNK_SIZE = 1024 * 1024
MAX_CHUNK_SIZE = 64 * 1024 * 1024
MAX_JSON = 1024 * 1024  # header or manifest JSON; metadata is small, this stops memory abuse
TAG_LEN = 16
SIG_LEN = 64
NONCE_PREFIX_LEN = 7
MAX_CHUNKS = 2**32 - 1  # the STREAM counter is 32 bits

HEADER_PREFIX = struct.Struct(">8sBI")  # magic, version, header JSON length
RECORD_HEAD = struct.Struct(">BI")  # record type, body length
FOOTER = struct.Struct(">I8s")  # manifest record length, END_MAGIC
INDEX_FLAG = struct.Struct(">IB")  # chunk index, last flag: in nonces and chunk signatures

REC_CHUNK = 0x43  # 'C': a full chunk, more follow
REC_LAST = 0x4C  # 'L': the last chunk, shorter than chunk_size (possibly empty)
REC_MANIFEST = 0x4D  # 'M'

KEY_BLOCK_HPKE = 0x01
KEY_BLOCK_REMOVED = 0x00
KEY_BLOCK_LEN = 1 + 32 + 32 + TAG_LEN  # kind, HPKE enc, wrapped data key + tag

SIG_DOMAIN_HEADER = b"kluis-sealed/1 header\x00"
SIG_DOMAIN_CHUNK = b"kluis-sealed/1 chunk\x00"
SIG_DOMAIN_MANIFEST = b"kluis-sealed/1 manifest\x00"
HPKE_INFO = b"kluis-sealed/1 data key"
PAYLOAD_KEY_INFO = b"kluis-sealed/1 payload key"
COMMITMENT_INFO = b"kluis-sealed/1 key commitment"

_HEADER_KEYS = {
    "camera_id",
    "camera_public_key",
    "chunk_size",
    "key_commitment",
    "metadata",
    "nonce_prefix",
    "organisation_id",
    "organisation_public_key",
    "pre_record_seconds",
    "recording_id",
    "started_at",
}
_MANIFEST_KEYS = {
    "chunk_count",
    "ciphertext_sha256",
    "metadata",
    "plaintext_sha256",
    "plaintext_size",
    "recording_id",
    "stopped_at",
}


def derive_payload_key(data_key: bytes) -> bytes:
    """The AES-256-GCM key for the chunks, derived so the data key itself is never an AES key."""
    return HKDFExpand(hashes.SHA256(), 32, PAYLOAD_KEY_INFO).derive(data_key)


def derive_key_commitment(data_key: bytes) -> bytes:
    """A public commitment to the data key, signed in the header.

    AES-GCM is not key-committing; with this the camera's signature pins exactly one data key,
    so nobody can later swap in a key that decrypts the same chunks to other footage, and a key
    taken from the key store can be checked before use.
    """
    return HKDFExpand(hashes.SHA256(), 32, COMMITMENT_INFO).derive(data_key)


def canonical_json(obj: Any) -> bytes:
    """Deterministic JSON (sorted keys, no spaces, ASCII) so test vectors are reproducible."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def format_time(value: datetime, what: str) -> str:
    """RFC 3339 UTC with microseconds; naive datetimes are refused because their zone is a guess."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (for example datetime.now(UTC))")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or len(value) != 27 or not value.endswith("Z"):
        raise TamperedError(f"The {what} in the recording is not a valid UTC timestamp.")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise TamperedError(f"The {what} in the recording is not a valid UTC timestamp.")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers could pick different values for a duplicated key; the signed bytes must mean
    # one thing only.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _load_json(raw: bytes, what: str, keys: set[str]) -> dict[str, Any]:
    try:
        obj = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except (ValueError, RecursionError):
        raise TamperedError(f"The {what} of the recording is not valid JSON: the file is damaged.")
    if not isinstance(obj, dict) or set(obj) != keys:
        raise TamperedError(
            f"The {what} of the recording has the wrong fields: the file is damaged."
        )
    return obj


def _hex(obj: dict[str, Any], key: str, length: int, what: str) -> bytes:
    value = obj[key]
    if not isinstance(value, str) or len(value) != 2 * length:
        raise TamperedError(f"The {what} field {key!r} is malformed: the file is damaged.")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise TamperedError(f"The {what} field {key!r} is malformed: the file is damaged.")


def _string(obj: dict[str, Any], key: str, what: str) -> str:
    value = obj[key]
    if not isinstance(value, str) or not value:
        raise TamperedError(f"The {what} field {key!r} is malformed: the file is damaged.")
    return value


def _count(obj: dict[str, Any], key: str, what: str, low: int, high: int) -> int:
    value = obj[key]
    if type(value) is not int or not low <= value <= high:
        raise TamperedError(f"The {what} field {key!r} is out of range: the file is damaged.")
    return value


def check_seconds(value: Any) -> int | float:
    """Pre-record seconds: a finite non-negative number (bool is not a number here)."""
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        raise ValueError("pre_record_seconds must be a finite number >= 0")
    return value


@dataclass(frozen=True)
class Header:
    """The parsed, camera-signed header plus the unsigned key block that follows it."""

    signed_bytes: bytes  # what the camera signed (without the domain prefix)
    signature: bytes
    sha256: bytes  # header hash: AEAD associated data and part of every other signature
    recording_id: str
    organisation_id: str
    camera_id: str
    started_at: datetime
    pre_record_seconds: int | float
    chunk_size: int
    camera_public_key: bytes
    organisation_public_key: bytes
    nonce_prefix: bytes
    key_commitment: bytes
    metadata: dict[str, Any]
    key_block_offset: int
    key_block: bytes
    data_offset: int  # where the first chunk record starts

    @property
    def full_record_size(self) -> int:
        """Bytes of one full chunk record on disk: head, ciphertext with tag, signature."""
        return RECORD_HEAD.size + self.chunk_size + TAG_LEN + SIG_LEN


@dataclass(frozen=True)
class Manifest:
    """What the camera states about a recording, from the signed header and signed manifest.

    For an incomplete recording (no manifest) the closing fields describe the part that could be
    authenticated: ``stopped_at`` and ``plaintext_sha256`` are None, ``complete`` is False.
    """

    recording_id: str
    organisation_id: str
    camera_id: str
    started_at: datetime
    pre_record_seconds: int | float
    chunk_size: int
    camera_public_key: bytes
    organisation_public_key: bytes
    header_sha256: bytes
    stopped_at: datetime | None
    chunk_count: int
    plaintext_size: int
    plaintext_sha256: bytes | None
    ciphertext_sha256: bytes | None
    complete: bool
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ManifestRecord:
    """The parsed closing manifest (only in a finalized recording)."""

    stopped_at: datetime
    chunk_count: int
    plaintext_size: int
    plaintext_sha256: bytes
    ciphertext_sha256: bytes
    metadata: dict[str, Any]
    offset: int  # where the manifest record starts, i.e. where the chunk records end


def read_exact(f: BinaryIO, n: int, what: str) -> bytes:
    """Read exactly n bytes or say which part of the file is cut off."""
    data = f.read(n)
    if data is None or len(data) != n:
        raise TruncatedError(f"The file ends inside the {what}: it was cut off or is incomplete.")
    return data


def read_exact_into(f: BinaryIO, view: memoryview, what: str) -> None:
    """Fill view completely from f without an intermediate copy (when f has readinto)."""
    if not hasattr(f, "readinto"):
        # Some stream wrappers (for example of an object store) only offer read().
        view[:] = read_exact(f, len(view), what)
        return
    got = 0
    total = len(view)
    while got < total:
        n = f.readinto(view[got:])
        if not n:
            raise TruncatedError(
                f"The file ends inside the {what}: it was cut off or is incomplete."
            )
        got += n


def file_size(f: BinaryIO) -> int:
    """Size of a seekable file object (the reader needs random access)."""
    return f.seek(0, 2)


def read_header(f: BinaryIO) -> Header:
    """Parse the header and key block at the start of f; no signature is checked here."""
    f.seek(0)
    prefix = f.read(HEADER_PREFIX.size)
    if prefix is None or len(prefix) < len(MAGIC) or prefix[: len(MAGIC)] != MAGIC:
        raise NotSealedError(
            "This is not a Kluis sealed recording (the file does not start with KLUISREC)."
        )
    if len(prefix) < HEADER_PREFIX.size:
        raise TruncatedError("The file ends inside the header: it was cut off.")
    _, version, json_len = HEADER_PREFIX.unpack(prefix)
    if version != VERSION:
        raise NotSealedError(
            f"This sealed recording has format version {version}; this software reads version "
            f"{VERSION}. Upgrade Kluis to read it."
        )
    if json_len > MAX_JSON:
        raise TamperedError(
            "The header of the recording claims an impossible size: the file is damaged."
        )
    raw = read_exact(f, json_len, "header")
    signature = read_exact(f, SIG_LEN, "header signature")
    key_block_offset = HEADER_PREFIX.size + json_len + SIG_LEN
    key_block = read_exact(f, KEY_BLOCK_LEN, "key block")
    obj = _load_json(raw, "header", _HEADER_KEYS)
    what = "header"
    metadata = obj["metadata"]
    if not isinstance(metadata, dict):
        raise TamperedError("The header metadata is not a JSON object: the file is damaged.")
    try:
        seconds = check_seconds(obj["pre_record_seconds"])
    except ValueError:
        raise TamperedError(
            "The header field 'pre_record_seconds' is malformed: the file is damaged."
        )
    signed = prefix + raw
    return Header(
        signed_bytes=signed,
        signature=signature,
        sha256=hashlib.sha256(signed).digest(),
        recording_id=_string(obj, "recording_id", what),
        organisation_id=_string(obj, "organisation_id", what),
        camera_id=_string(obj, "camera_id", what),
        started_at=_parse_time(obj["started_at"], "start time"),
        pre_record_seconds=seconds,
        chunk_size=_count(obj, "chunk_size", what, 1, MAX_CHUNK_SIZE),
        camera_public_key=_hex(obj, "camera_public_key", 32, what),
        organisation_public_key=_hex(obj, "organisation_public_key", 32, what),
        nonce_prefix=_hex(obj, "nonce_prefix", NONCE_PREFIX_LEN, what),
        key_commitment=_hex(obj, "key_commitment", 32, what),
        metadata=metadata,
        key_block_offset=key_block_offset,
        key_block=key_block,
        data_offset=key_block_offset + KEY_BLOCK_LEN,
    )


def check_camera(header: Header, camera_public_key: Ed25519PublicKey) -> None:
    """The header names the camera that signed it; check it is the one expected and it signed."""
    expected = public_bytes(camera_public_key)
    if header.camera_public_key != expected:
        raise WrongKeyError(
            f"This recording was signed by camera {header.camera_id!r} with key "
            f"{fingerprint(header.camera_public_key)}, not by the camera key given "
            f"({fingerprint(expected)}). Use the enrolled key of the camera that made it."
        )
    try:
        camera_public_key.verify(header.signature, SIG_DOMAIN_HEADER + header.signed_bytes)
    except InvalidSignature:
        raise TamperedError(
            "The camera's signature on the recording header does not match: the header was changed."
        )


def chunk_signature_message(
    header_sha256: bytes, index: int, last: bool, running_sha256: bytes
) -> bytes:
    """What the camera signs for chunk i: its place, its last flag and the ciphertext so far."""
    return SIG_DOMAIN_CHUNK + header_sha256 + INDEX_FLAG.pack(index, last) + running_sha256


def chunk_nonce(nonce_prefix: bytes, index: int, last: bool) -> bytes:
    """STREAM nonce: 7-byte prefix, 32-bit big-endian chunk index, 1-byte last flag."""
    return nonce_prefix + INDEX_FLAG.pack(index, last)


def manifest_json(
    recording_id: str,
    stopped_at: str,
    chunk_count: int,
    plaintext_size: int,
    plaintext_sha256: bytes,
    ciphertext_sha256: bytes,
    metadata: dict[str, Any],
) -> bytes:
    """The manifest's canonical JSON (see docs/sealed-format.md for each field)."""
    return canonical_json(
        {
            "chunk_count": chunk_count,
            "ciphertext_sha256": ciphertext_sha256.hex(),
            "metadata": metadata,
            "plaintext_sha256": plaintext_sha256.hex(),
            "plaintext_size": plaintext_size,
            "recording_id": recording_id,
            "stopped_at": stopped_at,
        }
    )


def read_manifest(
    f: BinaryIO, size: int, header: Header, camera_public_key: Ed25519PublicKey
) -> ManifestRecord | None:
    """Find and authenticate the closing manifest, or return None when the file has none.

    A file without the end marker is an incomplete recording (power loss before finalize), not an
    error. A file with the end marker must have a manifest the camera signed for this header.
    """
    if size < header.data_offset + FOOTER.size:
        return None
    f.seek(size - FOOTER.size)
    record_len, end_magic = FOOTER.unpack(read_exact(f, FOOTER.size, "footer"))
    if end_magic != END_MAGIC:
        return None
    if not RECORD_HEAD.size + SIG_LEN <= record_len <= RECORD_HEAD.size + MAX_JSON + SIG_LEN:
        raise TamperedError("The manifest length in the footer is impossible: the file is damaged.")
    offset = size - FOOTER.size - record_len
    if offset < header.data_offset:
        raise TamperedError("The manifest overlaps the header: the file is damaged.")
    f.seek(offset)
    kind, body_len = RECORD_HEAD.unpack(read_exact(f, RECORD_HEAD.size, "manifest"))
    if kind != REC_MANIFEST or body_len != record_len - RECORD_HEAD.size - SIG_LEN:
        raise TamperedError(
            "The manifest is not where the footer says it is: bytes were appended, removed or "
            "changed."
        )
    raw = read_exact(f, body_len, "manifest")
    signature = read_exact(f, SIG_LEN, "manifest signature")
    try:
        camera_public_key.verify(signature, SIG_DOMAIN_MANIFEST + header.sha256 + raw)
    except InvalidSignature:
        raise TamperedError(
            "The camera's signature on the recording manifest does not match: the manifest was "
            "changed or belongs to another recording."
        )
    obj = _load_json(raw, "manifest", _MANIFEST_KEYS)
    what = "manifest"
    if obj["recording_id"] != header.recording_id or not isinstance(obj["metadata"], dict):
        raise TamperedError("The manifest does not belong to this recording's header.")
    return ManifestRecord(
        stopped_at=_parse_time(obj["stopped_at"], "stop time"),
        chunk_count=_count(obj, "chunk_count", what, 1, MAX_CHUNKS),
        plaintext_size=_count(obj, "plaintext_size", what, 0, 2**63 - 1),
        plaintext_sha256=_hex(obj, "plaintext_sha256", 32, what),
        ciphertext_sha256=_hex(obj, "ciphertext_sha256", 32, what),
        metadata=obj["metadata"],
        offset=offset,
    )


def is_torn_tail(f: BinaryIO, pos: int, size: int, full_record_size: int) -> bool:
    """Whether unauthenticated bytes from pos to the end can be what a power loss leaves.

    A power loss tears only the record being written, so less than two records' worth of bytes;
    some file systems also leave a longer run of zeros where unflushed data should be. Anything
    else after a bad record means the file was changed.
    """
    if size - pos < 2 * full_record_size:
        return True
    f.seek(pos)
    while True:
        block = f.read(1024 * 1024)
        if not block:
            return True
        if block.count(0) != len(block):
            return False


def check_no_whole_trailer(f: BinaryIO, pos: int, size: int) -> None:
    """Refuse a file that holds a whole manifest and footer but no valid end marker.

    Called after the last chunk of a file without a recognised footer. A power loss can cut the
    manifest off, but it cannot write all of it and then spoil the end marker or add bytes after
    it: that is a change (for example appended data), so it must not pass as merely incomplete.
    """
    if size - pos < RECORD_HEAD.size:
        return
    f.seek(pos)
    kind, body_len = RECORD_HEAD.unpack(read_exact(f, RECORD_HEAD.size, "manifest"))
    if kind == REC_MANIFEST and pos + RECORD_HEAD.size + body_len + SIG_LEN + FOOTER.size <= size:
        raise TamperedError(
            "The recording holds a whole manifest but its end marker is wrong or bytes were "
            "appended after it: the file was changed."
        )


def complete_layout_matches(header: Header, manifest: ManifestRecord) -> bool:
    """Whether the bytes between key block and manifest hold exactly the chunks it announces."""
    c = header.chunk_size
    full = manifest.plaintext_size // c
    if manifest.chunk_count != full + 1:
        return False
    last_len = manifest.plaintext_size - full * c
    expected = full * header.full_record_size + RECORD_HEAD.size + last_len + TAG_LEN + SIG_LEN
    return manifest.offset - header.data_offset == expected
