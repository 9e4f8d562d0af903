"""The camera cannot read what it wrote (CAM-1); the server's key store can (RET-4 design)."""

import io

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kluis.sealed import (
    KeyRemovedError,
    SealedFormatError,
    WrongKeyError,
    generate_camera_keypair,
    generate_organisation_keypair,
    key_block_span,
    open_sealed,
    remove_wrapped_key,
    removed_key_block,
    unwrap_data_key,
    verify,
)
from kluis.sealed.format import derive_payload_key
from kluis.sealed.keys import ed25519_private, x25519_private

from .helpers import CAMERA, ORG, STOPPED, new_writer, pattern, seal

DATA = pattern(100)


def _attributes(obj):
    for value in vars(obj).values():
        yield from (value if isinstance(value, list | tuple | set) else [value])


def _has_cipher(obj) -> bool:
    """Whether the object still holds an AES-GCM context (that is, a usable payload key)."""
    return any(isinstance(v, AESGCM) for v in _attributes(obj))


def _holds(obj, secret: bytes) -> bool:
    """Whether any attribute (one level into containers) holds the secret bytes."""
    return any(
        isinstance(v, bytes | bytearray | memoryview) and secret in bytes(v)
        for v in _attributes(obj)
    )


class _Entropy:
    """Known randomness, so the test knows the data key the writer must forget."""

    def __init__(self):
        self.data_key = bytes(range(1, 33))
        self._parts = [self.data_key, bytes(7), bytes(32)]

    def __call__(self, n):
        part = self._parts.pop(0)
        assert len(part) == n
        return part


@pytest.mark.rule("CAM-1")
@pytest.mark.parametrize("ending", ["finalize", "abandon", "context"])
def test_writer_holds_no_key_after_the_recording(ending):
    entropy = _Entropy()
    f = io.BytesIO()
    w = new_writer(f, _entropy=entropy)
    assert not _holds(w, entropy.data_key)  # the data key is gone right after wrapping
    assert _has_cipher(w)  # while recording it has the payload cipher, as it must
    w.write(DATA)
    if ending == "finalize":
        w.finalize(STOPPED)
    elif ending == "abandon":
        w.abandon()
    else:
        w.__exit__(None, None, None)
    assert w.closed
    assert not _has_cipher(w)
    payload_key = derive_payload_key(entropy.data_key)
    assert not _holds(w, entropy.data_key)
    assert not _holds(w, payload_key)
    with pytest.raises(ValueError, match="already finalized"):
        w.write(b"x")


@pytest.mark.rule("CAM-1")
def test_camera_key_material_cannot_open_its_own_recording():
    blob = seal(DATA)
    # The camera holds only its Ed25519 signing key and the organisation's public key.
    as_x25519 = x25519_private(CAMERA.private_key)
    with pytest.raises(WrongKeyError):
        open_sealed(io.BytesIO(blob), as_x25519, CAMERA.public_key)
    with pytest.raises(WrongKeyError):
        open_sealed(
            io.BytesIO(blob), camera_public_key=CAMERA.public_key, data_key=CAMERA.private_key
        )
    with pytest.raises(WrongKeyError):
        unwrap_data_key(blob, CAMERA.private_key)


@pytest.mark.rule("CAM-1")
def test_keys_accepted_as_objects_or_raw_bytes():
    org = generate_organisation_keypair()
    cam = generate_camera_keypair()
    f = io.BytesIO()
    w = new_writer(
        f,
        org=org,
        camera=type(cam)(ed25519_private(cam.private_key), cam.public_key),
    )
    w.write(DATA)
    w.finalize(STOPPED)
    reader = open_sealed(
        f, x25519_private(org.private_key), ed25519_private(cam.private_key).public_key()
    )
    assert b"".join(reader) == DATA
    with pytest.raises(ValueError, match="32 raw bytes"):
        open_sealed(f, b"short", cam.public_key)


@pytest.mark.rule("RET-4", "STO-1")
def test_server_rewraps_and_strips_the_organisation_wrapped_key():
    """The ingest path: unwrap once, keep the data key in the key store, strip the file."""
    blob = seal(DATA)
    data_key = unwrap_data_key(io.BytesIO(blob), ORG.private_key)
    assert unwrap_data_key(blob[:2000], ORG.private_key) == data_key  # the first bytes suffice

    stored = io.BytesIO(blob)
    remove_wrapped_key(stored)
    # The stored copy still proves its camera and integrity (the key block is unsigned) ...
    result = verify(stored, CAMERA.public_key, require_complete=True)
    assert result.complete and not result.has_wrapped_key
    # ... the organisation key alone no longer opens it ...
    with pytest.raises(KeyRemovedError, match="key store"):
        open_sealed(stored, ORG.private_key, CAMERA.public_key)
    # ... only the key store's data key does.
    reader = open_sealed(stored, camera_public_key=CAMERA.public_key, data_key=data_key)
    assert b"".join(reader) == DATA


def test_key_block_span_lets_ingest_strip_while_streaming():
    blob = seal(DATA)
    offset, length = key_block_span(io.BytesIO(blob))
    streamed = blob[:offset] + removed_key_block() + blob[offset + length :]
    in_place = io.BytesIO(blob)
    remove_wrapped_key(in_place)
    assert streamed == in_place.getvalue()


def test_open_needs_exactly_one_key():
    blob = seal(DATA)
    with pytest.raises(TypeError):
        open_sealed(io.BytesIO(blob), camera_public_key=CAMERA.public_key)
    with pytest.raises(TypeError):
        open_sealed(io.BytesIO(blob), ORG.private_key, CAMERA.public_key, data_key=bytes(32))
    with pytest.raises(TypeError):
        open_sealed(io.BytesIO(blob), ORG.private_key)


def test_swapped_key_block_from_another_recording_is_refused():
    a, b = seal(DATA, recording_id="a"), seal(DATA, recording_id="b")
    off, n = key_block_span(io.BytesIO(a))
    mixed = a[:off] + b[off : off + n] + a[off + n :]
    with pytest.raises(SealedFormatError, match="key block"):
        open_sealed(io.BytesIO(mixed), ORG.private_key, CAMERA.public_key)
