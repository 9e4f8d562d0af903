"""A recording cut off before finalize is verifiable and readable up to its last whole chunk."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kluis.sealed import SealedFormatError, TamperedError, open_sealed, verify

from .helpers import CAMERA, ORG, STOPPED, new_writer, pattern, seal, seal_unfinished

C = 16


@pytest.mark.rule("CAM-3")
@pytest.mark.parametrize("size", [0, 1, C - 1, C, C + 1, 5 * C, 5 * C + 9])
def test_unfinalized_recording_opens_up_to_last_whole_chunk(size):
    data = pattern(size)
    blob = seal_unfinished(data, chunk_size=C)
    whole = size // C
    result = verify(io.BytesIO(blob), CAMERA.public_key)
    assert not result.complete
    assert result.chunk_count == whole
    assert result.plaintext_size == whole * C
    assert result.manifest.stopped_at is None and result.manifest.plaintext_sha256 is None
    assert "never finalized" in result.incomplete_reason
    reader = open_sealed(io.BytesIO(blob), ORG.private_key, CAMERA.public_key)
    assert not reader.complete
    assert reader.size == whole * C
    assert b"".join(reader) == data[: whole * C]
    assert reader.read_range(3, 40) == data[3 : min(40, whole * C)]


@pytest.mark.rule("CAM-3")
def test_abandoned_writer_leaves_an_incomplete_recording():
    f = io.BytesIO()
    try:
        with new_writer(f) as w:
            w.write(pattern(40))
            raise RuntimeError("battery removed")
    except RuntimeError:
        pass
    assert w.closed
    result = verify(f, CAMERA.public_key)
    assert not result.complete and result.chunk_count == 2


@pytest.mark.rule("CAM-3")
@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 90), cut=st.integers(0, 2000), fill=st.sampled_from([None, 0, 0xFF]))
def test_torn_write_at_any_point_never_yields_wrong_footage(size, cut, fill):
    """Power loss mid-write: the file is cut anywhere, maybe with a zero- or junk-filled tail
    (a file system can extend the size before the data lands). The result is either a clear
    error or a prefix of the footage, never other bytes."""
    data = pattern(size)
    full = seal(data, chunk_size=C)
    cut = min(cut, len(full))
    blob = full[:cut]
    if fill is not None:
        blob += bytes([fill]) * min(50, len(full) - cut)
    try:
        result = verify(io.BytesIO(blob), CAMERA.public_key)
        read = b"".join(open_sealed(io.BytesIO(blob), ORG.private_key, CAMERA.public_key))
    except SealedFormatError:
        return
    assert data.startswith(read)
    assert result.plaintext_size == len(read)
    assert result.complete == (blob == full)


@pytest.mark.rule("CAM-3")
def test_power_loss_during_finalize_keeps_the_last_chunk():
    data = pattern(3 * C + 5)
    full = seal(data, chunk_size=C)
    # Cut inside the manifest: all chunks including the short last one are signed and present.
    blob = full[:-30]
    result = verify(io.BytesIO(blob), CAMERA.public_key)
    assert not result.complete
    assert result.plaintext_size == len(data)
    assert "manifest is missing" in result.incomplete_reason
    assert b"".join(open_sealed(io.BytesIO(blob), ORG.private_key, CAMERA.public_key)) == data


@pytest.mark.rule("CAM-3")
def test_changed_middle_chunk_of_incomplete_recording_is_tampering_not_power_loss():
    blob = bytearray(seal_unfinished(pattern(6 * C), chunk_size=C))
    blob[-3 * (5 + C + 16 + 64) + 20] ^= 1  # inside the fourth of six chunks
    with pytest.raises(TamperedError, match="changed, not just cut off"):
        verify(io.BytesIO(bytes(blob)), CAMERA.public_key)


def test_finalize_after_partial_writes_matches_reader():
    f = io.BytesIO()
    w = new_writer(f)
    for piece in (b"a", b"b" * 15, b"c" * 17):
        w.write(piece)
    assert w.chunks_written == 2 and w.plaintext_size == 33
    w.finalize(STOPPED)
    assert (
        b"".join(open_sealed(f, ORG.private_key, CAMERA.public_key)) == b"a" + b"b" * 15 + b"c" * 17
    )


@pytest.mark.rule("CAM-3")
def test_zero_filled_tail_after_a_crash_is_power_loss_not_tampering():
    data = pattern(4 * C)
    blob = seal_unfinished(data, chunk_size=C)
    # The file system kept the size of three more chunks but not their data.
    blob += bytes(3 * (5 + C + 16 + 64))
    result = verify(io.BytesIO(blob), CAMERA.public_key)
    assert not result.complete and result.chunk_count == 4
    assert result.discarded_bytes == 3 * (5 + C + 16 + 64)
    assert b"".join(open_sealed(io.BytesIO(blob), ORG.private_key, CAMERA.public_key)) == data


@pytest.mark.rule("CAM-3")
def test_opening_an_incomplete_recording_with_a_changed_middle_record_fails():
    blob = bytearray(seal_unfinished(pattern(6 * C), chunk_size=C))
    blob[-3 * (5 + C + 16 + 64)] = 0x58  # record type of the fourth of six chunks
    with pytest.raises(TamperedError):
        verify(io.BytesIO(bytes(blob)), CAMERA.public_key)
    with pytest.raises(TamperedError):
        open_sealed(io.BytesIO(bytes(blob)), ORG.private_key, CAMERA.public_key)
