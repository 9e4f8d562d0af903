"""Sealing and opening return exactly the footage, for every size that matters."""

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kluis.sealed import DEFAULT_CHUNK_SIZE, open_sealed, verify

from .helpers import CAMERA, ORG, STARTED, STOPPED, new_writer, pattern, seal

C = 16
SIZES = [0, 1, C - 1, C, C + 1, 2 * C - 1, 2 * C, 2 * C + 1, 10 * C, 10 * C + 7]


@pytest.mark.rule("CAM-3", "STO-3")
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("pieces", [1, 3])
def test_round_trip_small_chunks(size, pieces):
    data = pattern(size)
    f = io.BytesIO(seal(data, chunk_size=C, pieces=pieces))
    result = verify(f, CAMERA.public_key)
    assert result.complete
    assert result.plaintext_size == size
    assert result.chunk_count == size // C + 1  # full chunks plus a shorter (maybe empty) last one
    reader = open_sealed(f, ORG.private_key, CAMERA.public_key)
    assert reader.complete
    assert reader.size == size
    assert reader.read_range(0, size) == data
    assert b"".join(reader) == data


@pytest.mark.rule("CAM-3", "STO-3")
@pytest.mark.parametrize(
    "size",
    [DEFAULT_CHUNK_SIZE - 1, DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_SIZE + 1, 5 * 1024 * 1024 + 3],
)
def test_round_trip_default_chunk_size(size):
    data = os.urandom(size)
    f = io.BytesIO()
    w = new_writer(f, chunk_size=DEFAULT_CHUNK_SIZE)
    # Camera-like writes: frames of odd sizes that straddle chunk boundaries.
    for i in range(0, size, 300_001):
        w.write(memoryview(data)[i : i + 300_001])
    manifest = w.finalize(STOPPED)
    assert manifest.plaintext_size == size
    result = verify(f, CAMERA.public_key)
    assert result.complete and result.manifest == manifest
    reader = open_sealed(f, ORG.private_key, CAMERA.public_key)
    assert b"".join(reader) == data
    assert reader.read_range(size - 10, size + 10) == data[-10:]


@pytest.mark.rule("CAM-3")
def test_manifest_records_what_the_camera_states():
    f = io.BytesIO()
    w = new_writer(f, recording_id="r-42", pre_record_seconds=30)
    w.write(b"x" * 40)
    manifest = w.finalize(STOPPED, metadata={"colleagues": True})
    m = verify(f, CAMERA.public_key).manifest
    assert m == manifest
    assert (m.recording_id, m.organisation_id, m.camera_id) == ("r-42", "h2o", "cam-1")
    assert (m.started_at, m.stopped_at, m.pre_record_seconds) == (STARTED, STOPPED, 30)
    assert m.metadata == {"officer": "boa-7", "colleagues": True}
    assert m.chunk_count == 3 and m.plaintext_size == 40 and m.complete
    import hashlib

    assert m.plaintext_sha256 == hashlib.sha256(b"x" * 40).digest()


def test_context_manager_finalizes_on_normal_exit():
    f = io.BytesIO()
    with new_writer(f) as w:
        w.write(b"abc")
    assert w.closed
    assert verify(f, CAMERA.public_key).complete


def test_writer_refuses_bad_arguments():
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        new_writer(io.BytesIO(), started_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="chunk_size"):
        new_writer(io.BytesIO(), chunk_size=0)
    with pytest.raises(ValueError, match="JSON"):
        new_writer(io.BytesIO(), metadata={"x": object()})
    with pytest.raises(TypeError):
        new_writer(io.BytesIO(), org=type(ORG)(ORG.private_key, "not bytes"))
    w = new_writer(io.BytesIO())
    w.finalize(STOPPED)
    with pytest.raises(ValueError, match="already finalized"):
        w.write(b"more")


def test_fsync_on_a_real_file(tmp_path):
    path = tmp_path / "rec.sealed"
    with open(path, "wb") as fh:
        w = new_writer(fh, fsync=True)
        w.write(b"y" * 50)
        w.finalize(STOPPED)
    with open(path, "rb") as fh:
        assert verify(fh, CAMERA.public_key).plaintext_size == 50


@pytest.mark.rule("STO-3")
@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=300),
    chunk_size=st.integers(1, 40),
    bounds=st.tuples(st.integers(-5, 320), st.integers(-5, 320)),
)
def test_random_access_equals_slicing(data, chunk_size, bounds):
    reader = open_sealed(io.BytesIO(seal(data, chunk_size)), ORG.private_key, CAMERA.public_key)
    start, end = bounds
    start = max(start, 0)  # read_range takes non-negative offsets, like a byte-range request
    assert reader.read_range(start, end) == data[start : max(end, 0)]


@pytest.mark.rule("CAM-3")
@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=200), cuts=st.lists(st.integers(0, 200), max_size=8))
def test_how_footage_is_split_into_writes_does_not_matter(data, cuts):
    one_go = seal(data, chunk_size=7)
    f = io.BytesIO()
    w = new_writer(f, chunk_size=7)
    last = 0
    for cut in sorted(min(c, len(data)) for c in cuts):
        w.write(data[last:cut])
        last = cut
    w.write(data[last:])
    w.finalize(STOPPED)
    # Same entropy would give the same bytes; here keys differ, so compare what verify proves.
    a, b = verify(io.BytesIO(one_go), CAMERA.public_key), verify(f, CAMERA.public_key)
    assert (a.chunk_count, a.plaintext_size) == (b.chunk_count, b.plaintext_size)
    assert b"".join(open_sealed(f, ORG.private_key, CAMERA.public_key)) == data


def test_reader_works_on_a_stream_without_readinto():
    class ReadOnly:
        """Like an object-store stream wrapper: read and seek, no readinto."""

        def __init__(self, blob):
            self._f = io.BytesIO(blob)

        def read(self, n=-1):
            return self._f.read(n)

        def seek(self, pos, whence=0):
            return self._f.seek(pos, whence)

    data = pattern(100)
    blob = seal(data)
    assert verify(ReadOnly(blob), CAMERA.public_key).complete
    assert b"".join(open_sealed(ReadOnly(blob), ORG.private_key, CAMERA.public_key)) == data
