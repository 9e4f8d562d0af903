"""A recording made from a video file survives the whole trip: camera, dock, server, decode."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from kluis.camera.dock import DockClient
from kluis.camera.sources import FileAudio, FileSource

from .conftest import camera_public_key, decode, make_camera, open_recording

SECONDS, FPS, RATE = 3, 25, 16000


def make_video(path, width=320, height=240):
    """A short H.264 + AAC file with a moving gradient and a tone."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=RATE, layout="mono")
        ramp = np.linspace(0, 255, width, dtype=np.uint8)
        for i in range(SECONDS * FPS):
            image = np.zeros((height, width, 3), np.uint8)
            image[:, :, 0] = np.roll(ramp, i * 5)
            image[:, :, 1] = 60 + i
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            frame.time_base = fractions.Fraction(1, FPS)
            out.mux(video.encode(frame))
        t = np.arange(SECONDS * RATE) / RATE
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, len(samples), 1024):
            block = samples[start : start + 1024].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = RATE, start
            out.mux(audio.encode(frame))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))


@pytest.mark.rule("CAM-2", "CAM-3")
def test_file_recording_offloaded_decodes_to_the_same_frames_and_duration(
    tmp_path, storage, server
):
    path = tmp_path / "street.mp4"
    make_video(path)
    camera = make_camera(
        storage, pre_record=30, source=FileSource(str(path)), audio=FileAudio(str(path), RATE)
    )
    camera.press_record()  # at switch-on: the whole file is the recording
    camera.run()  # to the end of the file; switching off seals the recording
    (summary,) = camera.finished
    assert DockClient(storage).dock().ok and storage.recordings() == []

    reader, mp4 = open_recording(
        server.stored[summary["recording_id"]], server, camera_public_key(storage)
    )
    assert reader.complete
    count, first_t, last_t, _ = decode(mp4)
    meta = reader.manifest.metadata
    assert count == summary["video_frames"] == meta["video_frames"] == SECONDS * FPS
    assert last_t - first_t + 1 / FPS == pytest.approx(meta["duration_seconds"]) == SECONDS
    with av.open(__import__("io").BytesIO(mp4)) as container:
        sound = sum(f.samples for f in container.decode(audio=0))
    assert sound == pytest.approx(SECONDS * RATE, abs=2048)  # the file's sound came along
