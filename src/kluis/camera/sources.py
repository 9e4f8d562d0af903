"""Where pictures and sound come from: V4L2 camera with ALSA audio, video file, or test pattern.

Every video source yields ``(frame, t)``: a PyAV ``VideoFrame`` and the camera-clock time it was
captured at. File and synthetic sources pace themselves through the clock, so with a
``SimulatedClock`` they run as fast as the CPU allows and with a ``SystemClock`` at real time.

Audio sources hand out float samples on demand (``read(n)``), so the encoder can keep sound in
step with the frames it has encoded, whatever the source.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import deque
from collections.abc import Iterator
from typing import Protocol

import av
import numpy as np

log = logging.getLogger(__name__)


class SourceError(RuntimeError):
    """A source cannot be opened or read; the message says which and why."""


class VideoSource(Protocol):
    """Anything that yields captured frames with their camera time."""

    width: int
    height: int
    fps: int

    def frames(self, clock) -> Iterator[tuple[av.VideoFrame, float]]: ...

    def close(self) -> None: ...


class AudioSource(Protocol):
    """Anything that hands out ``n`` samples as float32 of shape (channels, n)."""

    sample_rate: int
    channels: int

    def read(self, n: int) -> np.ndarray: ...

    def close(self) -> None: ...


# --- synthetic test pattern -------------------------------------------------------------------

# A 3x5 pixel font: enough to burn a readable clock and frame counter into the test pattern.
_GLYPHS = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001001001",
    "8": "111101111101111",
    "9": "111101111001111",
    ":": "000010000010000",
    ".": "000000000000010",
    "-": "000000111000000",
    "#": "101111101111101",
    " ": "000000000000000",
}
_GLYPH_ARRAYS = {
    ch: np.array([int(b) for b in bits], dtype=bool).reshape(5, 3) for ch, bits in _GLYPHS.items()
}


@functools.lru_cache(maxsize=256)
def _scaled_glyph(ch: str, scale: int) -> np.ndarray:
    glyph = _GLYPH_ARRAYS.get(ch, _GLYPH_ARRAYS[" "])
    return np.kron(glyph, np.ones((scale, scale), dtype=bool))


def draw_text(image: np.ndarray, text: str, x: int, y: int, scale: int) -> None:
    """Burn ``text`` (digits and ``:.-#``) into an RGB image, white on black, in place."""
    h, w = image.shape[:2]
    width = len(text) * 4 * scale + scale
    x1, y1 = min(w, x + width), min(h, y + 7 * scale)
    image[y:y1, x:x1] = 0
    for i, ch in enumerate(text):
        big = _scaled_glyph(ch, scale)
        gx, gy = x + scale + i * 4 * scale, y + scale
        region = image[gy : gy + big.shape[0], gx : gx + big.shape[1]]
        region[big[: region.shape[0], : region.shape[1]]] = 255


class SyntheticSource:
    """Colour bars, a moving block, and the camera clock and frame number burnt in.

    The visible clock makes it possible to check by eye (or by decoding) which moment of standby
    a recording starts at; the moving block makes every frame different so the encoder does
    real work.
    """

    def __init__(self, width: int = 640, height: int = 360, fps: int = 25, seconds=None):
        self.width, self.height, self.fps = width, height, fps
        self.seconds = seconds  # None: run until stopped
        bars = np.array(
            [
                [192, 192, 192],
                [192, 192, 0],
                [0, 192, 192],
                [0, 192, 0],
                [192, 0, 192],
                [192, 0, 0],
                [0, 0, 192],
            ],
            dtype=np.uint8,
        )
        columns = (np.arange(width) * len(bars) // width).clip(0, len(bars) - 1)
        self._background = np.broadcast_to(bars[columns], (height, width, 3)).copy()
        self._scale = max(1, height // 60)

    def frames(self, clock) -> Iterator[tuple[av.VideoFrame, float]]:
        """Yield frames at ``fps`` of camera time, starting now."""
        t0 = clock.monotonic()
        index = 0
        block = max(8, self.height // 8)
        while self.seconds is None or index < self.seconds * self.fps:
            t = t0 + index / self.fps
            clock.sleep_until(t)
            image = self._background.copy()
            bx = (index * 4) % max(1, self.width - block)
            image[self.height // 2 : self.height // 2 + block, bx : bx + block] = 255
            stamp = clock.wall(t).strftime("%H:%M:%S.") + f"{int(t * 100) % 100:02d}"
            draw_text(image, stamp, 4, 4, self._scale)
            draw_text(image, f"#{index}", 4, 4 + 8 * self._scale, self._scale)
            yield av.VideoFrame.from_ndarray(image, format="rgb24"), t
            index += 1

    def close(self) -> None:
        """Nothing to release."""


# --- video file -------------------------------------------------------------------------------


class FileSource:
    """Frames from a video file, stamped by their presentation time.

    Used for demos and for tests that compare what went in with what the server decodes. With a
    ``SystemClock`` it plays at the file's own speed, with a ``SimulatedClock`` as fast as
    decoding allows.
    """

    def __init__(self, path: str, width: int | None = None, height: int | None = None):
        try:
            self._container = av.open(path)
        except (OSError, av.FFmpegError) as exc:
            raise SourceError(f"cannot open video file {path}: {exc}") from exc
        if not self._container.streams.video:
            raise SourceError(f"{path} has no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        rate = self._stream.average_rate or self._stream.guessed_rate or 25
        self.fps = max(1, round(float(rate)))
        self.width = width or self._stream.codec_context.width
        self.height = height or self._stream.codec_context.height
        self.path = path

    def frames(self, clock) -> Iterator[tuple[av.VideoFrame, float]]:
        """Decode the file once, yielding frames at their presentation time on the camera clock."""
        t0 = clock.monotonic()
        first_pts = None
        for index, frame in enumerate(self._container.decode(self._stream)):
            if frame.pts is not None and frame.time_base is not None:
                if first_pts is None:
                    first_pts = frame.pts
                offset = float((frame.pts - first_pts) * frame.time_base)
            else:
                offset = index / self.fps
            t = t0 + offset
            clock.sleep_until(t)
            if frame.width != self.width or frame.height != self.height:
                frame = frame.reformat(width=self.width, height=self.height)
            yield frame, t

    def close(self) -> None:
        """Close the file."""
        self._container.close()


# --- V4L2 camera ------------------------------------------------------------------------------


class V4L2Source:
    """A Linux video device (``/dev/video0``) through FFmpeg's v4l2 input.

    Frames are stamped with the camera clock when they arrive, since the device delivers them at
    its own pace; ``sleep_until`` is not used. On a Raspberry Pi with a CSI camera, use the
    libcamera V4L2 compatibility layer or a USB (UVC) camera that appears as /dev/videoN.
    """

    def __init__(self, device: str, width: int = 1280, height: int = 720, fps: int = 25):
        options = {"video_size": f"{width}x{height}", "framerate": str(fps)}
        try:
            self._container = av.open(device, format="v4l2", options=options)
        except (OSError, av.FFmpegError) as exc:
            raise SourceError(f"cannot open V4L2 device {device}: {exc}") from exc
        self._stream = self._container.streams.video[0]
        self.width = self._stream.codec_context.width or width
        self.height = self._stream.codec_context.height or height
        self.fps = fps

    def frames(self, clock) -> Iterator[tuple[av.VideoFrame, float]]:
        """Yield frames as the device delivers them."""
        for frame in self._container.decode(self._stream):
            yield frame, clock.monotonic()

    def close(self) -> None:
        """Release the device."""
        self._container.close()


# --- audio ------------------------------------------------------------------------------------


class SilenceAudio:
    """Silence: for cameras without a microphone, so the recording still has an audio track."""

    def __init__(self, sample_rate: int = 16000, channels: int = 1):
        self.sample_rate, self.channels = sample_rate, channels

    def read(self, n: int) -> np.ndarray:
        """Return ``n`` samples of silence."""
        return np.zeros((self.channels, n), dtype=np.float32)

    def close(self) -> None:
        """Nothing to release."""


class ToneAudio:
    """A quiet sine tone, so tests can tell that sound made it through."""

    def __init__(self, sample_rate: int = 16000, channels: int = 1, frequency: float = 440.0):
        self.sample_rate, self.channels, self.frequency = sample_rate, channels, frequency
        self._position = 0

    def read(self, n: int) -> np.ndarray:
        """Return the next ``n`` samples of the tone."""
        t = (np.arange(self._position, self._position + n) / self.sample_rate).astype(np.float64)
        self._position += n
        wave = (0.2 * np.sin(2 * np.pi * self.frequency * t)).astype(np.float32)
        return np.tile(wave, (self.channels, 1))

    def close(self) -> None:
        """Nothing to release."""


class _ResampledAudio:
    """Shared part of file and ALSA audio: resample decoded frames into a sample queue."""

    def __init__(self, sample_rate: int, channels: int):
        self.sample_rate, self.channels = sample_rate, channels
        layout = "mono" if channels == 1 else "stereo"
        self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
        self._chunks: deque[np.ndarray] = deque()
        self._available = 0
        self._lock = threading.Lock()

    def _push(self, frame) -> None:
        for out in self._resampler.resample(frame):
            data = out.to_ndarray().astype(np.float32, copy=False)
            with self._lock:
                self._chunks.append(data)
                self._available += data.shape[1]

    def _take(self, n: int) -> np.ndarray:
        """Return ``n`` samples, padding with silence when the source has fallen behind."""
        parts, need = [], n
        with self._lock:
            while need and self._chunks:
                chunk = self._chunks[0]
                if chunk.shape[1] <= need:
                    parts.append(self._chunks.popleft())
                    need -= chunk.shape[1]
                else:
                    parts.append(chunk[:, :need])
                    self._chunks[0] = chunk[:, need:]
                    need = 0
            self._available -= n - need
        if need:
            parts.append(np.zeros((self.channels, need), dtype=np.float32))
        return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]


class FileAudio(_ResampledAudio):
    """The sound track of a video file, decoded as the video plays."""

    def __init__(self, path: str, sample_rate: int = 16000, channels: int = 1):
        super().__init__(sample_rate, channels)
        try:
            self._container = av.open(path)
        except (OSError, av.FFmpegError) as exc:
            raise SourceError(f"cannot open audio of {path}: {exc}") from exc
        if not self._container.streams.audio:
            raise SourceError(f"{path} has no audio stream")
        self._frames = self._container.decode(self._container.streams.audio[0])

    def read(self, n: int) -> np.ndarray:
        """Decode until ``n`` samples are available; silence after the file ends."""
        while self._available < n:
            frame = next(self._frames, None)
            if frame is None:
                break
            self._push(frame)
        return self._take(n)

    def close(self) -> None:
        """Close the file."""
        self._container.close()


class AlsaAudio(_ResampledAudio):
    """A microphone through ALSA (``hw:1,0``, ``default``), read by a background thread.

    The device delivers sound at its own pace; ``read`` hands out what has arrived and pads
    with silence if the microphone lags, so a stalled microphone never stalls the video.
    """

    def __init__(self, device: str = "default", sample_rate: int = 16000, channels: int = 1):
        super().__init__(sample_rate, channels)
        try:
            self._container = av.open(device, format="alsa")
        except (OSError, av.FFmpegError) as exc:
            raise SourceError(f"cannot open ALSA device {device}: {exc}") from exc
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="alsa", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            for frame in self._container.decode(audio=0):
                if self._stop.is_set():
                    break
                self._push(frame)
        except av.FFmpegError:
            log.exception("ALSA capture stopped")

    def read(self, n: int) -> np.ndarray:
        """Return ``n`` samples of what the microphone delivered (silence if it lags)."""
        return self._take(n)

    def close(self) -> None:
        """Stop the capture thread and release the device."""
        self._stop.set()
        self._container.close()


def open_video_source(spec: str, width: int, height: int, fps: int) -> VideoSource:
    """Turn ``--source`` (``synthetic``, ``file:PATH``, ``v4l2:/dev/video0``) into a source."""
    if spec == "synthetic":
        return SyntheticSource(width, height, fps)
    if spec.startswith("file:"):
        return FileSource(spec[5:], width or None, height or None)
    if spec.startswith("v4l2:"):
        return V4L2Source(spec[5:], width, height, fps)
    raise SourceError(f"unknown source {spec!r}: use synthetic, file:PATH or v4l2:/dev/videoN")


def open_audio_source(spec: str, video_spec: str, sample_rate: int, channels: int) -> AudioSource:
    """Turn an ``--audio`` value (``auto``, ``tone``, ``silence``, ``file:PATH``, ``alsa:DEV``)
    into a source. ``auto`` takes the video file's sound, a tone for the test pattern, and the
    default ALSA microphone for a V4L2 camera."""
    if spec == "auto":
        if video_spec.startswith("file:"):
            try:
                return FileAudio(video_spec[5:], sample_rate, channels)
            except SourceError:
                return SilenceAudio(sample_rate, channels)
        if video_spec.startswith("v4l2:"):
            return AlsaAudio("default", sample_rate, channels)
        spec = "tone"
    if spec == "tone":
        return ToneAudio(sample_rate, channels)
    if spec == "silence":
        return SilenceAudio(sample_rate, channels)
    if spec.startswith("file:"):
        return FileAudio(spec[5:], sample_rate, channels)
    if spec.startswith("alsa:"):
        return AlsaAudio(spec[5:], sample_rate, channels)
    raise SourceError(f"unknown audio {spec!r}: use auto, tone, silence, file:PATH or alsa:DEVICE")
