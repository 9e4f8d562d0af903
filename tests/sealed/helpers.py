"""Helpers shared by the sealed-format tests (fixed keys, a one-call sealer), and `seal_footage`,
the one way every other test seals a whole recording as a camera does."""

import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta

from kluis.sealed import SealedWriter
from kluis.sealed.keys import KeyPair, ed25519_private, public_bytes, x25519_private


def _pair_x25519(seed: bytes) -> KeyPair:
    sk = hashlib.sha256(seed).digest()
    return KeyPair(sk, public_bytes(x25519_private(sk).public_key()))


def _pair_ed25519(seed: bytes) -> KeyPair:
    sk = hashlib.sha256(seed).digest()
    return KeyPair(sk, public_bytes(ed25519_private(sk).public_key()))


# Fixed keys keep the tests fast and failures reproducible.
ORG = _pair_x25519(b"test organisation h2o")
OTHER_ORG = _pair_x25519(b"test organisation dordrecht")
CAMERA = _pair_ed25519(b"test camera 1")
OTHER_CAMERA = _pair_ed25519(b"test camera 2")

STARTED = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
STOPPED = datetime(2026, 11, 22, 10, 5, 0, tzinfo=UTC)


def new_writer(f, *, chunk_size: int = 16, camera=CAMERA, org=ORG, **extra) -> SealedWriter:
    """A writer with the test defaults; keyword arguments override them."""
    args = dict(
        organisation_public_key=org.public_key,
        camera_private_key=camera.private_key,
        recording_id="rec-1",
        organisation_id="h2o",
        camera_id="cam-1",
        started_at=STARTED,
        pre_record_seconds=60,
        chunk_size=chunk_size,
        metadata={"officer": "boa-7"},
    )
    args.update(extra)
    return SealedWriter(f, **args)


def seal_footage(
    footage: bytes,
    *,
    organisation_public_key: bytes,
    camera_private_key: bytes,
    organisation_id: str,
    camera_id: str,
    started_at: datetime,
    recording_id: str | None = None,
    seconds: float = 120,
    finalize: bool = True,
    chunk_size: int = 64 * 1024,
    pre_record_seconds: int = 30,
    metadata: dict | None = None,
) -> tuple[str, bytes]:
    """(recording id, sealed file bytes): `footage` sealed by a camera to its organisation's key,
    finalized `seconds` after the start, or left as a power cut leaves it (`finalize=False`)."""
    rid = recording_id or str(uuid.uuid4())
    f = io.BytesIO()
    w = SealedWriter(
        f,
        organisation_public_key=organisation_public_key,
        camera_private_key=camera_private_key,
        recording_id=rid,
        organisation_id=organisation_id,
        camera_id=camera_id,
        started_at=started_at,
        pre_record_seconds=pre_record_seconds,
        chunk_size=chunk_size,
        metadata=metadata if metadata is not None else {"warning": "before"},
    )
    w.write(footage)
    if finalize:
        w.finalize(started_at + timedelta(seconds=seconds))
    else:
        w.abandon()
    return rid, f.getvalue()


def seal(data: bytes, chunk_size: int = 16, pieces: int = 1, **extra) -> bytes:
    """Seal data (written in `pieces` uneven writes) and return the finished file's bytes."""
    f = io.BytesIO()
    w = new_writer(f, chunk_size=chunk_size, **extra)
    step = max(1, len(data) // pieces + 1)
    for i in range(0, len(data), step):
        w.write(data[i : i + step])
    w.finalize(STOPPED)
    return f.getvalue()


def seal_unfinished(data: bytes, chunk_size: int = 16) -> bytes:
    """What is on disk when the power fails after `data` was written: no finalize."""
    f = io.BytesIO()
    w = new_writer(f, chunk_size=chunk_size)
    w.write(data)
    return f.getvalue()


def pattern(n: int) -> bytes:
    """Deterministic non-repeating test footage (a repeating pattern could hide swapped chunks)."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:n])
