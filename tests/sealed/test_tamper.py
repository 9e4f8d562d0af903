"""Any change to a sealed recording is detected with a clear error (CAM-3)."""

import io

import pytest

from kluis.sealed import (
    KeyRemovedError,
    NotSealedError,
    SealedFormatError,
    TamperedError,
    TruncatedError,
    WrongKeyError,
    key_block_span,
    open_sealed,
    verify,
)

from .helpers import CAMERA, ORG, OTHER_CAMERA, OTHER_ORG, pattern, seal

C = 16
DATA = pattern(3 * C + 5)  # three full chunks and a short last one
FILE = seal(DATA, chunk_size=C)


def _layout(blob: bytes):
    """Offsets of the key block and the chunk records, from the file itself."""
    offset, length = key_block_span(io.BytesIO(blob))
    first = offset + length
    record = 5 + C + 16 + 64
    return offset, length, first, record


def _read_all(blob: bytes) -> bytes:
    reader = open_sealed(io.BytesIO(blob), ORG.private_key, CAMERA.public_key)
    return b"".join(reader)


def _detected(blob: bytes) -> bool:
    """True when verifying or opening and reading everything raises SealedFormatError."""
    try:
        verify(io.BytesIO(blob), CAMERA.public_key, require_complete=True)
        _read_all(blob)
    except SealedFormatError:
        return True
    return False


@pytest.mark.rule("CAM-3")
def test_every_single_byte_flip_is_detected():
    key_offset, key_len, _, _ = _layout(FILE)
    for pos in range(len(FILE)):
        blob = bytearray(FILE)
        blob[pos] ^= 0x01
        blob = bytes(blob)
        if key_offset <= pos < key_offset + key_len:
            # The key block is deliberately unsigned (the server replaces it, RET-4); a changed
            # key block cannot open the footage, and the camera's signatures still hold.
            verify(io.BytesIO(blob), CAMERA.public_key)
            with pytest.raises(SealedFormatError):
                _read_all(blob)
            continue
        with pytest.raises(SealedFormatError):
            verify(io.BytesIO(blob), CAMERA.public_key)
        assert _detected(blob), pos


@pytest.mark.rule("CAM-3")
def test_every_byte_flip_also_fails_when_only_opening():
    # The playback path (open_sealed + read) must catch changes on its own, without verify.
    key_offset, key_len, first, _ = _layout(FILE)
    for pos in range(first, len(FILE)):
        blob = bytearray(FILE)
        blob[pos] ^= 0x80
        with pytest.raises(SealedFormatError):
            _read_all(bytes(blob))


@pytest.mark.rule("CAM-3")
def test_truncation_at_any_length_is_never_a_complete_recording():
    for cut in range(len(FILE)):
        blob = FILE[:cut]
        with pytest.raises(SealedFormatError):
            verify(io.BytesIO(blob), CAMERA.public_key, require_complete=True)
        try:
            result = verify(io.BytesIO(blob), CAMERA.public_key)
        except SealedFormatError:
            continue
        assert not result.complete
        assert result.incomplete_reason
        # What is still readable is exactly a prefix of the footage, never anything else.
        assert DATA.startswith(_read_all(blob))


@pytest.mark.rule("CAM-3")
def test_truncation_error_says_the_recording_is_incomplete():
    _, _, first, record = _layout(FILE)
    with pytest.raises(TruncatedError, match="incomplete"):
        verify(io.BytesIO(FILE[: first + 2 * record]), CAMERA.public_key, require_complete=True)


def _records(blob: bytes) -> tuple[bytes, list[bytes], bytes]:
    _, _, first, record = _layout(blob)
    chunks = [blob[first + i * record : first + (i + 1) * record] for i in range(3)]
    return blob[:first], chunks, blob[first + 3 * record :]


@pytest.mark.rule("CAM-3")
@pytest.mark.parametrize("order", [(1, 0, 2), (0, 2, 1), (2, 1, 0)])
def test_reordered_chunks_are_detected(order):
    head, chunks, tail = _records(FILE)
    blob = head + b"".join(chunks[i] for i in order) + tail
    with pytest.raises(TamperedError, match="Chunk"):
        verify(io.BytesIO(blob), CAMERA.public_key)
    with pytest.raises(TamperedError, match="Chunk"):
        _read_all(blob)


@pytest.mark.rule("CAM-3")
def test_dropped_or_duplicated_chunks_are_detected():
    head, chunks, tail = _records(FILE)
    for body in (chunks[0] + chunks[2], chunks[0] + chunks[1] + chunks[1] + chunks[2]):
        blob = head + body + tail
        with pytest.raises(TamperedError):
            verify(io.BytesIO(blob), CAMERA.public_key)
        with pytest.raises(TamperedError):
            _read_all(blob)


@pytest.mark.rule("CAM-3")
@pytest.mark.parametrize("extra", [b"\x00", b"more footage", FILE[-200:]])
def test_appended_bytes_are_detected(extra):
    blob = FILE + extra
    with pytest.raises(TamperedError, match="appended"):
        verify(io.BytesIO(blob), CAMERA.public_key)
    with pytest.raises(TamperedError, match="appended"):
        open_sealed(io.BytesIO(blob), ORG.private_key, CAMERA.public_key)


@pytest.mark.rule("CAM-3")
def test_chunks_cannot_move_between_recordings():
    other = seal(DATA, chunk_size=C, recording_id="rec-2")
    head, _, tail = _records(FILE)
    _, other_chunks, _ = _records(other)
    blob = head + b"".join(other_chunks) + tail
    with pytest.raises(TamperedError):
        verify(io.BytesIO(blob), CAMERA.public_key)
    with pytest.raises(TamperedError):
        _read_all(blob)


@pytest.mark.rule("CAM-3")
def test_wrong_camera_key_is_a_clear_error():
    with pytest.raises(WrongKeyError, match="signed by camera 'cam-1'"):
        verify(io.BytesIO(FILE), OTHER_CAMERA.public_key)
    with pytest.raises(WrongKeyError, match="camera"):
        open_sealed(io.BytesIO(FILE), ORG.private_key, OTHER_CAMERA.public_key)


@pytest.mark.rule("CAM-3")
def test_a_recording_signed_by_another_camera_claiming_this_camera_fails():
    # A foreign camera can write its own id into the header, but not sign with our camera's key.
    forged = seal(DATA, chunk_size=C, camera=OTHER_CAMERA)
    with pytest.raises(WrongKeyError):
        verify(io.BytesIO(forged), CAMERA.public_key)


@pytest.mark.rule("CAM-1")
def test_foreign_organisation_key_is_a_clear_error():
    with pytest.raises(WrongKeyError, match="sealed for organisation 'h2o'"):
        open_sealed(io.BytesIO(FILE), OTHER_ORG.private_key, CAMERA.public_key)


@pytest.mark.rule("CAM-1")
def test_wrong_data_key_is_a_clear_error():
    with pytest.raises(WrongKeyError, match="data key"):
        open_sealed(io.BytesIO(FILE), camera_public_key=CAMERA.public_key, data_key=bytes(32))


def test_not_a_sealed_file():
    for blob in (b"", b"hello", b"\x00" * 2000, b"KLUISREC"):
        with pytest.raises(SealedFormatError):
            verify(io.BytesIO(blob), CAMERA.public_key)
    with pytest.raises(NotSealedError, match="not a Kluis sealed recording"):
        verify(io.BytesIO(b"RIFF....WAVEfmt "), CAMERA.public_key)
    newer = FILE[:8] + b"\x02" + FILE[9:]
    with pytest.raises(NotSealedError, match="version 2"):
        verify(io.BytesIO(newer), CAMERA.public_key)


def test_removed_key_block_says_to_use_the_key_store():
    from kluis.sealed import remove_wrapped_key

    f = io.BytesIO(FILE)
    remove_wrapped_key(f)
    with pytest.raises(KeyRemovedError, match="key store"):
        open_sealed(f, ORG.private_key, CAMERA.public_key)


@pytest.mark.rule("STO-3")
def test_random_access_does_not_read_earlier_chunks():
    # Spoil chunk 0: a range inside chunk 2 still decrypts, proving nothing before it is read.
    _, _, first, _ = _layout(FILE)
    blob = bytearray(FILE)
    blob[first + 10] ^= 0xFF
    reader = open_sealed(io.BytesIO(bytes(blob)), ORG.private_key, CAMERA.public_key)
    assert reader.read_range(2 * C + 3, 3 * C) == DATA[2 * C + 3 : 3 * C]
    with pytest.raises(TamperedError, match="Chunk 0"):
        reader.read_range(0, 1)
