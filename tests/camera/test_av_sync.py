"""Sound stays in step with the pictures through buffering, rebasing and sealing (REC-1)."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from .conftest import FPS, camera_public_key, make_camera, open_recording

RATE = 16000
FLASH_FRAME = 5 * FPS  # at camera time 5.0 s: a white frame and the start of a beep


class FlashSource:
    width, height, fps = 160, 120, FPS

    def frames(self, clock):
        t0 = clock.monotonic()
        for i in range(8 * FPS):
            t = t0 + i / FPS
            clock.sleep_until(t)
            value = 255 if i == FLASH_FRAME else 0
            image = np.full((self.height, self.width, 3), value, np.uint8)
            yield av.VideoFrame.from_ndarray(image, format="rgb24"), t

    def close(self):
        pass


class BeepAudio:
    sample_rate, channels = RATE, 1

    def __init__(self):
        self.position = 0

    def read(self, n):
        index = np.arange(self.position, self.position + n)
        self.position += n
        beep = (index >= FLASH_FRAME * RATE // FPS) & (index < (FLASH_FRAME + 5) * RATE // FPS)
        return (0.5 * beep * np.sin(2 * np.pi * 1000 * index / RATE)).astype(np.float32)[None]

    def close(self):
        pass


@pytest.mark.rule("REC-1")
def test_beep_and_flash_line_up_in_a_recording_that_starts_mid_stream(storage, server):
    camera = make_camera(storage, pre_record=2, source=FlashSource(), audio=BeepAudio())
    camera.run(until=4.3, close=False)
    camera.press_record()  # from about 2.3 s: mid-stream, not the first fragment
    camera.run()
    (rec,) = storage.recordings()
    _, mp4 = open_recording(rec.path, server, camera_public_key(storage))
    with av.open(io.BytesIO(mp4)) as container:
        flash = next(f.time for f in container.decode(video=0) if f.to_ndarray().mean() > 128)
    with av.open(io.BytesIO(mp4)) as container:
        for frame in container.decode(audio=0):
            samples = np.abs(frame.to_ndarray()[0])
            loud = np.nonzero(samples > 0.1)[0]
            if len(loud):
                beep = frame.time + loud[0] / RATE
                break
    assert flash > 2  # the flash is well inside the recording, not at its start
    assert abs(beep - flash) < 1 / FPS  # within one frame
