"""Viewing decrypts in memory only (STO-3): reading a recording opens and writes no file."""

import builtins
import io
import os

import pytest

from kluis.sealed import open_sealed

from .helpers import CAMERA, ORG, pattern, seal


@pytest.mark.rule("STO-3")
def test_reading_streams_from_memory_and_touches_no_file(tmp_path, monkeypatch):
    data = pattern(5000)
    path = tmp_path / "rec.sealed"
    path.write_bytes(seal(data, chunk_size=512))
    before = sorted(os.listdir(tmp_path))
    with open(path, "rb") as fh:

        def forbidden(*args, **kwargs):
            raise AssertionError("the reader tried to open a file")

        monkeypatch.setattr(builtins, "open", forbidden)
        monkeypatch.setattr(os, "open", forbidden)
        monkeypatch.setattr(io, "open", forbidden)
        reader = open_sealed(fh, ORG.private_key, CAMERA.public_key)
        pieces = list(reader.iter_range(100, 4000))
        everything = b"".join(reader)
    monkeypatch.undo()
    assert b"".join(pieces) == data[100:4000]
    assert all(len(p) <= 512 for p in pieces)  # streamed a chunk at a time
    assert everything == data
    assert sorted(os.listdir(tmp_path)) == before
