"""Redaction in two passes: `analyse` finds and tracks faces, `render` writes the redacted copy.

Two passes rather than one because a face's box between two detections is only known exactly
once the next detection is in (interpolation, not guessing), and because a person must be able to
choose, between the passes, whose face stays visible (the requester, SAR-5). Decoding twice is
cheap (hundreds of frames per second); detection, the expensive step, runs on every k-th frame
of the first pass only.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import cv2
import numpy as np

from kluis.media.audio import apply_edits
from kluis.media.blur import pixelate_yuv420
from kluis.media.detector import Detection, FaceDetector
from kluis.media.errors import MediaError, PlanError
from kluis.media.plan import AudioEdit, ManualBox, RedactionPlan, SourceInfo
from kluis.media.tracking import Tracker

# A video to read: a path, or a seekable binary stream (the server passes a decrypting stream,
# so footage is never written to its disk in the clear, STO-3).
Source = str | os.PathLike | BinaryIO
# Where to write: a path (written as NAME.part, renamed when complete), or a writable binary
# stream, which need not be seekable: fragmented MP4 is written strictly front to back, so the
# server can encrypt the redacted copy as it is produced.
Target = str | os.PathLike | BinaryIO

# progress(done, total): total is an estimate from the container and may be off by a few frames.
Progress = Callable[[int, int], None]

# A fragmented MP4 has no edit list to undo shifted timestamps, so nothing may shift them: the
# muxer's negative-timestamp fix would move the video by the AAC priming delay (20 ms), and
# B-frames (disabled below) by their reordering delay (80 ms), out of sync with the sound.
FRAGMENTED_MP4 = {
    "movflags": "frag_keyframe+empty_moov+default_base_moof",
    "avoid_negative_ts": "disabled",
}
THUMBNAIL_HEIGHT = 96
DETECT_LONG_SIDE = 640


@dataclass(frozen=True, slots=True)
class RenderReport:
    """What `render` did, for logs and the job record."""

    frames: int
    frames_blurred: int
    boxes_blurred: int
    audio_frames_edited: int
    seconds: float

    @property
    def fps(self) -> float:
        """Frames rendered per second of wall time."""
        return self.frames / self.seconds if self.seconds else 0.0


def default_detect_size(width: int, height: int) -> tuple[int, int]:
    """The detector input for a frame: the long side scaled to 640, both sides a multiple of 32.

    640 wide is where CenterFace still finds faces of 40 px in 720p footage at a quarter of the
    cost of full resolution (docs/redaction.md has the measurements).
    """
    scale = DETECT_LONG_SIDE / max(width, height)
    w, h = max(32, round(width * scale)), max(32, round(height * scale))
    return (-(-w // 32) * 32, -(-h // 32) * 32)


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def read_ahead[T](items: Iterator[T], depth: int = 8) -> Iterator[T]:
    """Yield the items of an iterator that a background thread produces ahead of the consumer.

    Decoding (FFmpeg) and detection (onnxruntime) both release the GIL, so on two cores they
    overlap. An error in the reader is raised in the consumer; closing the returned generator
    stops the reader before its container may be closed.
    """
    buffer: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, who raises it
            put(_Failed(exc))

    reader = threading.Thread(target=produce, name="kluis-media-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        reader.join()


@functools.lru_cache(maxsize=4)
def shared_detector(size: tuple[int, int], threshold: float) -> FaceDetector:
    """One detector per input size, reused: onnxruntime's first run at a size costs a second."""
    return FaceDetector(size, threshold)


def _is_path(source: Source) -> bool:
    return isinstance(source, str | os.PathLike)


def _name(source: Source) -> str:
    if _is_path(source):
        return str(source)
    return str(getattr(source, "name", "the input stream"))


def sha256_file(source: Source) -> str:
    """Hex SHA-256 of a file or seekable stream, to tie a plan to exactly the video it was made
    for. A stream is read from its start and left where it was."""
    if _is_path(source):
        with open(source, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    position = source.tell()
    source.seek(0)
    try:
        return hashlib.file_digest(source, "sha256").hexdigest()
    finally:
        source.seek(position)


@contextlib.contextmanager
def _open_input(source: Source):
    name = _name(source)
    if _is_path(source):
        if not Path(source).is_file():
            raise MediaError(f"input video {name} does not exist or is not a file")
        source = str(source)
    else:
        source.seek(0)  # each pass reads the stream from its start
    try:
        container = av.open(source)
    except av.error.FFmpegError as exc:
        raise MediaError(f"cannot read {name} as a video: {exc}") from None
    try:
        if not container.streams.video:
            raise MediaError(f"{name} has no video stream")
        yield container
    finally:
        container.close()


def _origin(container) -> float:
    # Times in a plan count from the start of the file, as a player shows them.
    return container.start_time / av.time_base if container.start_time is not None else 0.0


def _frame_rate(stream) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return Fraction(rate) if rate else Fraction(25)


def _estimate_frames(container, stream) -> int:
    if stream.frames:
        return int(stream.frames)
    if container.duration:
        return int(round(container.duration / av.time_base * float(_frame_rate(stream))))
    return 0


def analyse(
    input_path: Source,
    *,
    detect_every: int = 5,
    detect_size: tuple[int, int] | None = None,
    threshold: float = 0.3,
    detector: FaceDetector | None = None,
    thumbnails: bool = True,
    progress: Progress | None = None,
) -> RedactionPlan:
    """Find and track every face in a video and return a plan that blurs them all.

    Detection runs on every `detect_every`-th frame and on the last frame; tracks carry the faces
    across the frames in between. The returned plan keeps nobody visible: the caller sets
    `plan.keep` (the requester) after reviewing the tracks and their thumbnails. Thumbnails are
    faces, as personal as the footage; `thumbnails=False` leaves them out of the plan.
    """
    if detect_every < 1:
        raise MediaError("detect_every must be at least 1")
    with _open_input(input_path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        width, height = stream.codec_context.width, stream.codec_context.height
        if detector is None:
            detector = shared_detector(detect_size or default_detect_size(width, height), threshold)
        in_w, in_h = detector.input_size
        total = _estimate_frames(container, stream)
        fps = float(_frame_rate(stream))
        origin = _origin(container)
        tracker = Tracker()
        best: dict[int, tuple[float, str]] = {}
        times: list[float] = []

        def sample(index: int, frame: av.VideoFrame, rgb: np.ndarray | None = None) -> None:
            if rgb is None:
                rgb = frame.to_ndarray(format="rgb24", width=in_w, height=in_h)
            assigned = tracker.update(index, detector.detect(rgb, (width, height)))
            full = None
            for track_id, det in assigned:
                if thumbnails and det.score > best.get(track_id, (-1.0, ""))[0]:
                    if full is None:
                        full = frame.to_ndarray(format="rgb24")
                    best[track_id] = (det.score, _thumbnail(full, det))

        def decoded():
            # Runs in a reader thread: decoding and shrinking overlap with detection.
            for index, frame in enumerate(container.decode(stream)):
                small = None
                if index % detect_every == 0:
                    small = frame.to_ndarray(format="rgb24", width=in_w, height=in_h)
                yield index, frame, small

        index = -1
        last: av.VideoFrame | None = None
        try:
            with contextlib.closing(read_ahead(decoded())) as frames_in:
                for index, frame, small in frames_in:
                    t = frame.time
                    times.append(t - origin if t is not None else index / fps)
                    if small is not None:
                        sample(index, frame, small)
                        last = None
                    else:
                        last = frame
                    if progress:
                        progress(index + 1, total)
        except av.error.FFmpegError as exc:
            raise MediaError(f"cannot decode {_name(input_path)}: {exc}") from None
        if index < 0:
            raise MediaError(f"{_name(input_path)} contains no video frames")
        if last is not None:
            sample(index, last)  # so that a face present at the end is tracked to the end
        frames = index + 1
        duration = times[-1] + 1 / fps
        has_audio = bool(container.streams.audio)

    def time_of(frame: int) -> float:
        return round(times[min(frame, len(times) - 1)], 3)

    tracks = tracker.finish(frames - 1, detect_every, time_of, {k: v[1] for k, v in best.items()})
    source = SourceInfo(
        width=width,
        height=height,
        frames=frames,
        fps=round(fps, 3),
        duration=round(duration, 3),
        has_audio=has_audio,
        sha256=sha256_file(input_path),
    )
    return RedactionPlan(source=source, tracks=tracks)


def _thumbnail(rgb: np.ndarray, det: Detection) -> str:
    """A small JPEG of a face (with some margin), base64, for the reviewer to recognise it."""
    h, w = rgb.shape[:2]
    x1, y1, x2, y2 = det.box
    mx, my = (x2 - x1) * 0.2, (y2 - y1) * 0.2
    crop = rgb[
        max(0, int(y1 - my)) : min(h, int(y2 + my) + 1),
        max(0, int(x1 - mx)) : min(w, int(x2 + mx) + 1),
    ]
    if crop.size == 0:
        return ""
    scale = THUMBNAIL_HEIGHT / crop.shape[0]
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), THUMBNAIL_HEIGHT))
    ok, jpeg = cv2.imencode(
        ".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85]
    )
    return base64.b64encode(jpeg.tobytes()).decode("ascii") if ok else ""


def check_plan_fits(plan: RedactionPlan, container, input_path: Source) -> None:
    """Refuse a plan made for another video: its boxes would hide the wrong places."""
    stream = container.streams.video[0]
    w, h = stream.codec_context.width, stream.codec_context.height
    if (w, h) != (plan.source.width, plan.source.height):
        raise PlanError(
            f"the plan was made for a {plan.source.width}x{plan.source.height} video, "
            f"but {_name(input_path)} is {w}x{h}"
        )


def _check_plan_hash(plan: RedactionPlan, input_path: Source) -> None:
    if plan.source.sha256 and sha256_file(input_path) != plan.source.sha256:
        raise PlanError(
            f"the plan was made for another video (its sha256 differs from {_name(input_path)}); "
            "analyse this video to make a plan for it"
        )


def render(
    input_path: Source,
    output_path: Target,
    plan: RedactionPlan,
    *,
    preset: str = "veryfast",
    crf: int = 23,
    progress: Progress | None = None,
) -> RenderReport:
    """Write a redacted copy of a video as fragmented MP4 (H.264 + AAC), as the plan says.

    Every frame of the input becomes one frame of the output with the same timestamp, so frame
    count and duration match. The audio track is kept, with the plan's ranges muted or toned.
    An output path is written under a temporary name and renamed at the end, so a failed render
    never leaves a half file that looks finished; an output stream is the caller's to discard.
    """
    started = time.perf_counter()
    partial: Path | None = None
    if _is_path(output_path):
        output_path = Path(output_path)
        partial = output_path.with_name(output_path.name + ".part")
    seed = secrets.randbits(64)  # the mosaic's hidden offsets, new for every render
    _check_plan_hash(plan, input_path)

    def discard() -> None:
        if partial is not None:
            partial.unlink(missing_ok=True)

    with _open_input(input_path) as container:
        check_plan_fits(plan, container, input_path)
        vin = container.streams.video[0]
        vin.thread_type = "AUTO"
        ain = container.streams.audio[0] if container.streams.audio else None
        total = plan.source.frames or _estimate_frames(container, vin)
        origin = _origin(container)
        fps = _frame_rate(vin)
        try:
            target = str(partial) if partial is not None else output_path
            out = av.open(target, "w", format="mp4", options=FRAGMENTED_MP4)
        except (av.error.FFmpegError, OSError) as exc:
            raise MediaError(f"cannot write {_name(output_path)}: {exc}") from None
        counts = {"frames": 0, "blurred": 0, "boxes": 0, "audio": 0}
        try:
            vout = out.add_stream("libx264", rate=fps)
            vout.width, vout.height, vout.pix_fmt = (
                vin.codec_context.width,
                vin.codec_context.height,
                "yuv420p",
            )
            # Keep the input's timestamps exactly: encode in the input's time base.
            vout.codec_context.time_base = vin.time_base
            vout.time_base = vin.time_base
            # A keyframe (and so a fragment) every two seconds keeps the file streamable.
            vout.codec_context.gop_size = max(1, round(2 * float(fps)))
            # No B-frames: see FRAGMENTED_MP4.
            vout.codec_context.max_b_frames = 0
            vout.options = {"preset": preset, "crf": str(crf)}
            aout = resampler = None
            if ain is not None:
                layout = ain.codec_context.layout.name
                rate = ain.codec_context.sample_rate
                aout = out.add_stream("aac", rate=rate)
                aout.layout = layout
                aout.bit_rate = 128_000
                resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)

            def video(frame: av.VideoFrame) -> None:
                index = counts["frames"]
                t = frame.time - origin if frame.time is not None else index / float(fps)
                pts = frame.pts if frame.pts is not None else round(index / fps / vin.time_base)
                boxes = plan.boxes_at(index, t)
                if boxes:
                    arr = frame.to_ndarray(format="yuv420p")
                    h, w = frame.height, frame.width
                    planes = (
                        arr[:h],
                        arr[h : h + h // 4].reshape(h // 2, w // 2),
                        arr[h + h // 4 :].reshape(h // 2, w // 2),
                    )
                    pixelate_yuv420(planes, boxes, plan.settings.blocks, plan.settings.noise, seed)
                    new = av.VideoFrame.from_ndarray(arr, format="yuv420p")
                    counts["blurred"] += 1
                    counts["boxes"] += len(boxes)
                elif frame.format.name != "yuv420p":
                    new = frame.reformat(format="yuv420p")
                else:
                    new = frame
                new.pts = pts
                new.time_base = vin.time_base
                new.pict_type = av.video.frame.PictureType.NONE  # let x264 place keyframes
                out.mux(vout.encode(new))
                counts["frames"] += 1
                if progress:
                    progress(counts["frames"], total)

            def audio(frame: av.AudioFrame) -> None:
                for f in resampler.resample(frame):
                    samples = f.to_ndarray()
                    start = f.time - origin if f.time is not None else 0.0
                    edited = apply_edits(samples, start, f.sample_rate, plan.audio)
                    if edited is not samples:
                        counts["audio"] += 1
                        new = av.AudioFrame.from_ndarray(
                            edited, format="fltp", layout=f.layout.name
                        )
                        new.sample_rate, new.pts, new.time_base = f.sample_rate, f.pts, f.time_base
                        f = new
                    out.mux(aout.encode(f))

            streams = [vin] + ([ain] if ain is not None else [])

            def decoded():
                # Runs in a reader thread, so decoding overlaps with blurring and encoding.
                for packet in container.demux(streams):
                    for frame in packet.decode():
                        yield packet.stream is vin, frame

            with contextlib.closing(read_ahead(decoded())) as frames_in:
                for is_video, frame in frames_in:
                    if is_video:
                        video(frame)
                    else:
                        audio(frame)
            out.mux(vout.encode(None))
            if aout is not None:
                for f in resampler.resample(None):
                    out.mux(aout.encode(f))
                out.mux(aout.encode(None))
        except av.error.FFmpegError as exc:
            out.close()
            discard()
            raise MediaError(f"redacting {_name(input_path)} failed: {exc}") from None
        except BaseException:
            out.close()
            discard()
            raise
        out.close()
    if plan.source.frames and counts["frames"] != plan.source.frames:
        discard()
        raise PlanError(
            f"the plan expects {plan.source.frames} frames but {_name(input_path)} "
            f"has {counts['frames']}"
        )
    if partial is not None:
        os.replace(partial, output_path)
    return RenderReport(
        frames=counts["frames"],
        frames_blurred=counts["blurred"],
        boxes_blurred=counts["boxes"],
        audio_frames_edited=counts["audio"],
        seconds=time.perf_counter() - started,
    )


def redact(
    input_path: Source,
    output_path: Target,
    *,
    keep: Iterable[int] = (),
    manual_boxes: Iterable[ManualBox] = (),
    audio: Iterable[AudioEdit] = (),
    detect_every: int = 5,
    progress: Progress | None = None,
) -> RedactionPlan:
    """Analyse and render in one call, for when the tracks to keep are known in advance.

    Returns the plan that was applied, which a job stores next to the output as its record.
    """
    plan = analyse(input_path, detect_every=detect_every, progress=progress)
    plan.set_keep(list(keep))
    plan.manual_boxes.extend(manual_boxes)
    plan.audio.extend(audio)
    render(input_path, output_path, plan, progress=progress)
    return plan
