"""Encode captured frames and sound to fragmented MP4 (H.264 + AAC) in memory.

One encoder and one muxer run for as long as the camera is on: the muxer writes into an
in-memory sink, never a file (CAM-1: no plaintext on disk, ever), and its byte stream is cut
into keyframe-aligned fragments (see ``mp4``). A keyframe at least every second (GOP <= fps)
bounds how far a recording's start can be from "pre-record seconds before the press", and
``frag_keyframe`` makes every fragment start with one, so each fragment plays on its own.
"""

from __future__ import annotations

import fractions
from collections import deque
from dataclasses import dataclass

import av
import numpy as np

from .mp4 import Fragment, FragmentSplitter, Track, fragment_seconds, read_tracks

MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"
AAC_FRAME = 1024  # samples per AAC frame


@dataclass(frozen=True)
class EncoderSettings:
    """What the camera encodes to. Defaults suit a small device without a hardware encoder."""

    width: int = 1280
    height: int = 720
    fps: int = 25
    codec: str = "libx264"
    preset: str = "veryfast"
    crf: int = 23
    threads: int = 0  # 0: let the encoder choose
    max_bitrate: int = 0  # bits/s cap (VBV) so storage per minute is bounded; 0: no cap
    sample_rate: int = 16000
    channels: int = 1
    audio_bitrate: int = 48000

    def describe(self) -> dict:
        """The settings as recording metadata, so the server knows what it ingests."""
        return {
            "video": {
                "codec": "h264",
                "encoder": self.codec,
                "width": self.width,
                "height": self.height,
                "fps": self.fps,
                "keyframe_interval_frames": self.fps,
                "max_bitrate": self.max_bitrate or None,
            },
            "audio": {"codec": "aac", "sample_rate": self.sample_rate, "channels": self.channels},
            "container": "fragmented mp4",
        }


class _MemorySink:
    """A write-only file object for PyAV: bytes go to the splitter, never to a file."""

    def __init__(self, splitter: FragmentSplitter):
        self._splitter = splitter
        self.fragments: list[Fragment] = []

    def write(self, data) -> int:
        self.fragments.extend(self._splitter.feed(bytes(data)))
        return len(data)


class FragmentEncoder:
    """Frames and samples in, timed fragments out.

    ``encode(frame, t)`` takes a frame captured at camera time ``t`` and returns the fragments
    the muxer completed meanwhile, each with ``start`` (camera time of its first frame). The
    muxer completes a fragment when the next keyframe arrives, so fragments come out about one
    GOP behind the live picture.
    """

    def __init__(self, settings: EncoderSettings, audio_source=None):
        self.settings = settings
        self._audio_source = audio_source
        self._splitter = FragmentSplitter()
        self._sink = _MemorySink(self._splitter)
        # avoid_negative_ts=disabled: otherwise the muxer shifts the timeline by the AAC
        # priming delay and folds that shift into the first fragment's first frame, so a
        # recording that starts with it would last 64 ms longer than its frames.
        self._container = av.open(
            self._sink,
            mode="w",
            format="mp4",
            options={"movflags": MOVFLAGS, "avoid_negative_ts": "disabled"},
        )
        fps = settings.fps
        options = {"tune": "zerolatency", "crf": str(settings.crf), "preset": settings.preset}
        if settings.codec != "libx264":
            options = {}  # hardware encoders (h264_v4l2m2m, ...) take none of x264's options
        self._video = self._container.add_stream(settings.codec, rate=fps, options=options)
        self._video.width, self._video.height = settings.width, settings.height
        self._video.pix_fmt = "yuv420p"
        ctx = self._video.codec_context
        ctx.time_base = fractions.Fraction(1, fps)
        ctx.gop_size = fps  # a keyframe at least every second
        ctx.max_b_frames = 0  # decode order = capture order: fragment times are frame times
        ctx.thread_count = settings.threads
        if settings.max_bitrate:
            ctx.max_bit_rate = settings.max_bitrate
            ctx.rc_buffer_size = 2 * settings.max_bitrate
        self._audio = None
        if audio_source is not None:
            layout = "mono" if settings.channels == 1 else "stereo"
            self._audio = self._container.add_stream(
                "aac", rate=settings.sample_rate, layout=layout
            )
            self._audio.bit_rate = settings.audio_bitrate
            self._audio.codec_context.time_base = fractions.Fraction(1, settings.sample_rate)
            self._audio_skip: int | None = None
        self._origin: float | None = None
        self._last_pts = -1
        self._audio_samples = 0
        self._tracks: dict[int, Track] | None = None
        self._video_track: int | None = None
        # Capture times of frames encoded but not yet out in a fragment: a fragment's start is
        # the capture time of its first frame, found by counting frames (muxers shift decode
        # times around, e.g. by the AAC priming delay, so decode times are no reliable clock).
        self._frame_times: deque[float] = deque()
        self.frames_encoded = 0
        self.closed = False

    @property
    def init_segment(self) -> bytes | None:
        """ftyp + moov: the start of every recording, known once the first fragment is out."""
        return self._splitter.init_segment

    @property
    def tracks(self) -> dict[int, Track]:
        """Track ids and timescales of the init segment (after the first fragment)."""
        if self._tracks is None:
            raise RuntimeError("no fragment yet")
        return self._tracks

    def encode(self, frame: av.VideoFrame, t: float) -> list[Fragment]:
        """Encode one frame captured at camera time ``t`` (and the sound up to it)."""
        if self._origin is None:
            self._origin = t
        # Live sources deliver frames with jitter; a frame's pts follows its capture time but
        # must increase, or the muxer refuses it.
        pts = max(self._last_pts + 1, round((t - self._origin) * self.settings.fps))
        self._last_pts = pts
        st = self.settings
        if frame.format.name != "yuv420p" or (frame.width, frame.height) != (st.width, st.height):
            # Devices deliver YUYV or MJPEG and sometimes another size than asked for.
            frame = frame.reformat(width=st.width, height=st.height, format="yuv420p")
        frame.pts = pts
        frame.time_base = fractions.Fraction(1, self.settings.fps)
        for packet in self._video.encode(frame):
            self._container.mux(packet)
        self.frames_encoded += 1
        self._frame_times.append(t)
        if self._audio is not None:
            self._encode_audio_until((pts + 1) / self.settings.fps)
        return self._take()

    def _encode_audio_until(self, seconds: float) -> None:
        sr = self.settings.sample_rate
        if self._audio_skip is None:
            # The muxer places the encoder's priming frame at time 0, so input sample i plays
            # at i + priming. Dropping that many samples of the source once puts the sound
            # back in step with the pictures.
            if not self._audio.codec_context.is_open:
                self._audio.codec_context.open()
            self._audio_skip = self._audio.codec_context.initial_padding or AAC_FRAME
            self._audio_source.read(self._audio_skip)
        target = round(seconds * sr)
        while self._audio_samples + AAC_FRAME <= target:
            samples = np.ascontiguousarray(self._audio_source.read(AAC_FRAME), dtype=np.float32)
            layout = "mono" if self.settings.channels == 1 else "stereo"
            aframe = av.AudioFrame.from_ndarray(samples, format="fltp", layout=layout)
            aframe.sample_rate = sr
            aframe.pts = self._audio_samples
            aframe.time_base = fractions.Fraction(1, sr)
            for packet in self._audio.encode(aframe):
                self._container.mux(packet)
            self._audio_samples += AAC_FRAME

    def _take(self) -> list[Fragment]:
        fragments, self._sink.fragments = self._sink.fragments, []
        if fragments and self._tracks is None:
            self._tracks = read_tracks(self._splitter.init_segment)
            self._video_track = next(i for i, tr in self._tracks.items() if tr.handler == "vide")
        for frag in fragments:
            frames = self.video_frames(frag)
            frag.start = self._frame_times[0] if self._frame_times else self._origin
            for _ in range(min(frames, len(self._frame_times))):
                self._frame_times.popleft()
            frag.timeline = fragment_seconds(frag, self._tracks)
        return fragments

    def video_frames(self, frag: Fragment) -> int:
        """How many video frames a fragment holds (for the recording's metadata)."""
        return frag.sample_counts.get(self._video_track, 0)

    def close(self) -> list[Fragment]:
        """Flush the encoders and the muxer; return the last fragments."""
        if self.closed:
            return []
        self.closed = True
        for packet in self._video.encode(None):
            self._container.mux(packet)
        if self._audio is not None:
            for packet in self._audio.encode(None):
                self._container.mux(packet)
        self._container.close()
        return self._take()
