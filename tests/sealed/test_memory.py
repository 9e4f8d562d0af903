"""Memory stays flat whatever the file size: writer and reader hold a couple of chunks."""

import io
import os
import tracemalloc

from kluis.sealed import open_sealed, verify

from .helpers import CAMERA, ORG, STOPPED, new_writer

CHUNK = 64 * 1024


class _Sink(io.RawIOBase):
    """A write-only file that keeps nothing, so only the writer's own memory is measured."""

    def __init__(self):
        self.size = 0

    def writable(self):
        return True

    def write(self, b):
        self.size += len(b)
        return len(b)


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_writer_memory_does_not_grow_with_the_recording():
    frame = os.urandom(10_000)

    def record(frames):
        def run():
            w = new_writer(_Sink(), chunk_size=CHUNK)
            for _ in range(frames):
                w.write(frame)
            w.finalize(STOPPED)

        return run

    small, large = _peak(record(20)), _peak(record(800))  # 200 kB vs 8 MB of footage
    assert large < 6 * CHUNK
    assert large < small + 2 * CHUNK


def test_verify_and_read_memory_does_not_grow(tmp_path):
    path = tmp_path / "big.sealed"
    with open(path, "wb") as fh:
        w = new_writer(fh, chunk_size=CHUNK)
        for _ in range(128):
            w.write(os.urandom(CHUNK // 2 + 1))
        w.finalize(STOPPED)

    def check():
        with open(path, "rb") as fh:
            verify(fh, CAMERA.public_key)
            total = sum(len(piece) for piece in open_sealed(fh, ORG.private_key, CAMERA.public_key))
            assert total == 128 * (CHUNK // 2 + 1)

    assert _peak(check) < 6 * CHUNK
