"""Fixtures for the camera tests: a reference dock server, an enrolled camera, fast cameras.

Cameras here run on a SimulatedClock at 160x120 with x264 ultrafast on one thread, so a minute
of standby costs about a second of CPU and the whole directory stays well inside its budget.
"""

from __future__ import annotations

import datetime as dt
import io

import av
import numpy as np
import pytest

from kluis.camera.camera import Camera
from kluis.camera.clock import SimulatedClock
from kluis.camera.dock import DockClient
from kluis.camera.encoder import EncoderSettings
from kluis.camera.sources import _GLYPH_ARRAYS, SyntheticSource, ToneAudio
from kluis.camera.storage import CameraStorage
from kluis.sealed import open_sealed

from .reference_server import ReferenceServer

START = dt.datetime(2026, 11, 29, 10, 0, 0, tzinfo=dt.UTC)
WIDTH, HEIGHT, FPS = 160, 120, 25
OFFICER_ID, OFFICER_NAME = "7f1c1e0a-0000-4000-8000-000000000001", "A. de Vries"


@pytest.fixture
def server():
    """A running reference server (docs/api-camera.md) with a 30-second pre-record policy."""
    srv = ReferenceServer(pre_record_seconds=30)
    srv.url = srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def storage(tmp_path, server) -> CameraStorage:
    """A camera enrolled with the reference server and assigned to an officer at the dock."""
    st = CameraStorage(tmp_path / "camera")
    DockClient(st, server.url).enrol(server.issue_code(), "KL-TEST-1")
    server.assign(st.read_state()["camera_id"], OFFICER_ID, OFFICER_NAME)
    DockClient(st).status()
    return st


def make_camera(storage, *, pre_record=None, chunk_size=16 * 1024, source=None, audio=None):
    """A fast camera on a simulated clock with the synthetic pattern and a tone."""
    clock = SimulatedClock(start=START)
    source = source or SyntheticSource(WIDTH, HEIGHT, FPS)
    settings = EncoderSettings(
        source.width, source.height, source.fps, preset="ultrafast", threads=1
    )
    return Camera(
        storage,
        source,
        audio if audio is not None else ToneAudio(),
        clock,
        settings,
        pre_record_seconds=pre_record,
        chunk_size=chunk_size,
    )


def camera_public_key(storage) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return storage.load_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def open_recording(path_or_bytes, server, camera_pub):
    """Decrypt a sealed recording the way the server does, with the organisation's key."""
    raw = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    reader = open_sealed(io.BytesIO(raw), server.org_keys.private_key, camera_pub)
    return reader, reader.read_range(0, reader.size)


def decode(mp4: bytes):
    """Decode every video frame: (count, first time, last time, first frame as RGB)."""
    with av.open(io.BytesIO(mp4)) as container:
        frames = [
            (f.time, f.to_ndarray(format="rgb24") if i == 0 else None)
            for i, f in enumerate(container.decode(video=0))
        ]
    return len(frames), frames[0][0], frames[-1][0], frames[0][1]


def read_burnt_number(image: np.ndarray, scale: int) -> int | None:
    """Read the '#frame' counter the synthetic source burns in (second text line).

    Reading the picture itself proves which moment of standby a recording starts at, not just
    what the metadata claims.
    """
    y = 4 + 8 * scale + scale
    digits = ""
    for i in range(1, 12):
        x = 4 + scale + i * 4 * scale
        cells = np.zeros((5, 3), dtype=bool)
        for r in range(5):
            for c in range(3):
                block = image[
                    y + r * scale : y + (r + 1) * scale, x + c * scale : x + (c + 1) * scale
                ]
                if block.size == 0:
                    return int(digits) if digits else None
                cells[r, c] = block.mean() > 128
        match = [ch for ch, g in _GLYPH_ARRAYS.items() if ch.isdigit() and (g == cells).all()]
        if not match:
            break
        digits += match[0]
    return int(digits) if digits else None


def storage_files(storage):
    """Every file under the camera's storage directory."""
    return sorted(p for p in storage.root.rglob("*") if p.is_file())
