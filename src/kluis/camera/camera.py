"""The camera itself: standby with a pre-record buffer, record, stop, emergency (REC-1..REC-5).

One loop captures frames, encodes them and files each finished fragment in the pre-record
buffer; while a recording runs, the same fragments also go into its sealed file. Buttons (HTTP
control, keyboard, GPIO, tests) call the ``press_*`` methods from any thread; they take effect
at the camera time they are pressed.

Timing, all in camera seconds:

- record pressed at ``T``: the recording starts with the newest fragment that begins at or
  before ``T - pre_record_seconds`` (REC-1), so it starts pre-record seconds before the press to
  within one fragment (a keyframe comes at least every second);
- stop pressed at ``S``: the recording keeps every fragment that begins before ``S``, so it
  always includes the moment of the press and ends at the next keyframe, at most a second later.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable

from .encoder import EncoderSettings, FragmentEncoder
from .mp4 import Fragment
from .recorder import CAMERA_CHUNK_SIZE, Recorder, iso
from .ringbuffer import PreRecordBuffer
from .storage import StorageError

log = logging.getLogger(__name__)

SOFTWARE = "kluis-camera/1"
WARNING_CHOICES = ("before", "after", "none")
DEFAULT_PRE_RECORD_SECONDS = 30  # RULES.md: the default where a policy states no number
POLICY_CHECK_SECONDS = 10.0  # how often a running camera looks for a new policy from the dock


def _assignment_at(assignment: dict | None, moment: dt.datetime) -> dict | None:
    """The dock's assignment if ``moment`` falls in its shift, else None (REC-3).

    A camera that was not docked since yesterday's shift must not stamp yesterday's officer on
    today's footage; the server matches its own assignment records to the recording anyway.
    """
    if not assignment:
        return None
    try:
        start = dt.datetime.fromisoformat(assignment["shift_start"].replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(assignment["shift_end"].replace("Z", "+00:00"))
        return assignment if start <= moment <= end else None
    except (KeyError, TypeError, ValueError, AttributeError):
        return assignment  # no usable (or naive) shift times: trust the dock's word


def _number(seconds: float) -> int | float:
    """30.0 -> 30 in metadata, so the server sees the policy's number as it was set."""
    return int(seconds) if float(seconds).is_integer() else seconds


class CameraError(RuntimeError):
    """A button cannot do what was asked (for example: not enrolled, so nowhere to seal to)."""


class _ActiveRecording:
    """A recording from the press until its sealed file is finished."""

    def __init__(self, pressed_at: float, cutoff: float, emergency: bool):
        self.pressed_at = pressed_at
        self.cutoff = cutoff
        self.emergency = emergency
        self.stop_at: float | None = None
        self.stop_reason = "button"
        self.head: Fragment | None = None  # newest fragment at or before the cutoff, not written
        self.recorder: Recorder | None = None
        self.last: Fragment | None = None
        self.last_frames = 0
        self.first_start = 0.0


class Camera:
    """A bodycam: call ``run()`` to capture; buttons may be pressed from other threads."""

    def __init__(
        self,
        storage,
        source,
        audio,
        clock,
        settings: EncoderSettings | None = None,
        *,
        pre_record_seconds: float | None = None,
        chunk_size: int = CAMERA_CHUNK_SIZE,
        place: Callable[[], dict | None] | None = None,
    ):
        self.storage = storage
        self.source = source
        self.audio = audio
        self.clock = clock
        self.settings = settings or EncoderSettings(source.width, source.height, source.fps)
        self.chunk_size = chunk_size
        self.place = place or (lambda: None)
        # An explicit pre-record length (tests, demos) wins; otherwise the policy the dock
        # fetched applies, and is re-read while running so a new policy takes effect.
        self._policy_override = pre_record_seconds is not None
        if pre_record_seconds is None:
            pre_record_seconds = self._policy_seconds()
        self.buffer = PreRecordBuffer(pre_record_seconds)
        self._policy_checked = clock.monotonic()
        self.encoder = FragmentEncoder(self.settings, audio)
        self.colleagues_present = False
        self.warning: str | None = None
        self.emergency = False
        self.finished: list[dict] = []  # summaries of recordings sealed in this run
        self.last_error: str | None = None  # shown in the status until the next recording
        # Livestream (LIV-1) is a later issue: it subscribes here. Emergency listeners get the
        # camera; fragment listeners get every fragment while an emergency is on.
        self.emergency_listeners: list[Callable[[Camera], None]] = []
        self.fragment_listeners: list[Callable[[Fragment], None]] = []
        self._recording: _ActiveRecording | None = None
        self._lock = threading.RLock()
        self._quit = threading.Event()
        self._now = clock.monotonic()
        self._key = None
        self._identity_cache: dict = {}
        self._frames = None

    # --- buttons ---------------------------------------------------------------------------

    def press_record(self, *, emergency: bool = False) -> dict:
        """Start a recording that begins with the pre-record buffer (REC-1).

        Pressing record while recording changes nothing (a second press must not split the
        recording); it still reports the state.
        """
        with self._lock:
            identity = self._identity()
            if self._recording is not None and self._recording.stop_at is None:
                if emergency:
                    self._recording.emergency = True
                return self.status()
            if self._recording is not None:
                # Stop was pressed but the recording is not yet sealed: record again means
                # "keep going", which is what the officer wants.
                self._recording.stop_at = None
                self._recording.emergency |= emergency
                return self.status()
            if self._key is None:
                self._key = self.storage.load_key()
            self._identity_cache = identity
            self.last_error = None
            now = self.clock.monotonic()
            rec = _ActiveRecording(now, now - self.buffer.seconds, emergency)
            self._recording = rec
            for frag in self.buffer.take_from(now):
                self._guarded(rec, self._feed_recording, rec, frag)
            log.info("recording started at camera time %.2f", now)
            return self.status()

    def press_stop(self) -> dict:
        """Stop the recording (REC-3); it is sealed at the next keyframe."""
        with self._lock:
            if self._recording is not None and self._recording.stop_at is None:
                self._recording.stop_at = self.clock.monotonic()
                self.emergency = False
            return self.status()

    def press_emergency(self) -> dict:
        """Start recording and flag the emergency for the livestream (LIV-1)."""
        with self._lock:
            self.emergency = True
            status = self.press_record(emergency=True)
            for listener in list(self.emergency_listeners):
                try:
                    listener(self)
                except Exception:  # a broken livestream must never stop the recording
                    log.exception("emergency listener failed")
            return status

    def set_colleagues(self, present: bool) -> dict:
        """Mark the current (or next) recording as including colleagues (REC-5)."""
        with self._lock:
            self.colleagues_present = bool(present)
            return self.status()

    def set_warning(self, warning: str | None) -> dict:
        """Note whether the spoken warning came before recording, after it, or not (REC-4)."""
        if warning is not None and warning not in WARNING_CHOICES:
            raise CameraError(f"warning must be one of {', '.join(WARNING_CHOICES)}")
        with self._lock:
            self.warning = warning
            return self.status()

    def quit(self) -> None:
        """Ask ``run`` to end after the current frame; a recording in progress is sealed."""
        self._quit.set()

    @property
    def quitting(self) -> bool:
        """True once ``quit()`` was called (a signal, the q key): the caller should stop too."""
        return self._quit.is_set()

    def status(self) -> dict:
        """What the camera is doing, for the control interface: no footage, no keys."""
        with self._lock:
            rec = self._recording
            return {
                "state": "recording"
                if rec is not None and rec.stop_at is None
                else ("stopping" if rec is not None else "standby"),
                "camera_time": round(self._now, 3),
                "pre_record_seconds": _number(self.buffer.seconds),
                "buffered_seconds": round(self._now - self.buffer.oldest_start, 3)
                if self.buffer.oldest_start is not None
                else 0.0,
                "colleagues_present": self.colleagues_present,
                "warning": self.warning,
                "emergency": self.emergency,
                "recording_id": rec.recorder.recording_id if rec and rec.recorder else None,
                "recordings_sealed": len(self.finished),
                "last_error": self.last_error,
            }

    # --- the capture loop ------------------------------------------------------------------

    def run(self, until: float | None = None, *, close: bool = True) -> None:
        """Capture until ``until`` (camera time), the source ends, or ``quit()``.

        With ``close=False`` the camera can run on later (tests step through standby this way);
        otherwise the encoder is flushed and a recording in progress is sealed.
        """
        if self._frames is None:
            self._frames = self.source.frames(self.clock)
        for frame, t in self._frames:
            fragments = self.encoder.encode(frame, t)
            with self._lock:
                self._now = t
                for frag in fragments:
                    self._on_fragment(frag)
                if not self._policy_override and t - self._policy_checked >= POLICY_CHECK_SECONDS:
                    self._policy_checked = t
                    seconds = self._policy_seconds()
                    if seconds != self.buffer.seconds:
                        log.info("pre-record policy now %s s", seconds)
                        self.buffer.set_seconds(seconds, t)
            if self._quit.is_set() or (until is not None and t >= until):
                break
        if close:
            self.close()

    def close(self) -> None:
        """Flush the encoder, seal any recording, release the source."""
        fragments = self.encoder.close()
        with self._lock:
            for frag in fragments:
                self._on_fragment(frag)
            if self._recording is not None:
                rec = self._recording
                if rec.stop_at is None:
                    rec.stop_reason = "camera switched off"
                self._guarded(rec, self._finish, rec)
        self.source.close()
        if self.audio is not None:
            self.audio.close()

    def _on_fragment(self, frag: Fragment) -> None:
        self.buffer.append(frag, self._now)
        rec = self._recording
        if rec is not None:
            if rec.stop_at is not None and frag.start >= rec.stop_at:
                self._guarded(rec, self._finish, rec)
            else:
                self._guarded(rec, self._feed_recording, rec, frag)
        if self.emergency:
            for listener in list(self.fragment_listeners):
                try:
                    listener(frag)
                except Exception:
                    log.exception("fragment listener failed")

    def _guarded(self, rec: _ActiveRecording, step, *args) -> None:
        """Run one storage step of a recording; on a storage failure, keep the camera going.

        A full or failing card must not take standby down with it: the recording is closed as
        a power cut would leave it (verifiable up to its last whole chunk), the error shows in
        the status, and the next press starts a new recording.
        """
        try:
            step(*args)
        except OSError as exc:
            log.exception("storage failed during a recording")
            self.last_error = f"storage failed: {exc}"
            if self._recording is rec:
                self._recording = None
            if rec.recorder is not None:
                with contextlib.suppress(OSError, ValueError):
                    rec.recorder.abandon()

    def _feed_recording(self, rec: _ActiveRecording, frag: Fragment) -> None:
        if rec.recorder is None:
            if frag.start <= rec.cutoff:
                # Still before the wanted start: remember it, a later one may be closer.
                rec.head = frag
                return
            if rec.head is not None:
                self._start_recorder(rec, rec.head)
                self._add(rec, rec.head)
                rec.head = None
            else:
                self._start_recorder(rec, frag)
        self._add(rec, frag)

    def _add(self, rec: _ActiveRecording, frag: Fragment) -> None:
        frames = self.encoder.video_frames(frag)
        rec.recorder.add(frag, frames)
        rec.last, rec.last_frames = frag, frames

    def _start_recorder(self, rec: _ActiveRecording, first: Fragment) -> None:
        rec.first_start = first.start
        identity = self._identity_cache
        state = self.storage.read_state()
        assignment = _assignment_at(state.get("assignment"), self.clock.wall(rec.pressed_at))
        metadata = {
            "kind": "kluis-camera-recording",
            "software": SOFTWARE,
            "camera_id": identity["camera_id"],
            "camera_serial": identity.get("serial"),
            "organisation_id": identity["organisation_id"],
            "officer": {
                "officer_id": assignment.get("officer_id"),
                "officer_name": assignment.get("officer_name"),
            }
            if assignment
            else None,
            "record_pressed_at": iso(self.clock.wall(rec.pressed_at)),
            "pre_record_seconds": _number(self.buffer.seconds),
            "pre_recorded_seconds": round(max(0.0, rec.pressed_at - first.start), 3),
            "emergency": rec.emergency,
            "colleagues_present": self.colleagues_present,
            "warning": self.warning,
            "place": self.place(),
            **self.settings.describe(),
        }
        rec.recorder = Recorder(
            self.storage,
            identity,
            self._key,
            init_segment=self.encoder.init_segment,
            tracks=self.encoder.tracks,
            first=first,
            started_at=self.clock.wall(first.start),
            pre_record_seconds=_number(self.buffer.seconds),
            metadata=metadata,
            chunk_size=self.chunk_size,
        )

    def _finish(self, rec: _ActiveRecording) -> None:
        self._recording = None
        if rec.recorder is None and rec.head is not None:
            self._start_recorder(rec, rec.head)
            self._add(rec, rec.head)
        if rec.recorder is None:
            return  # nothing was captured at all
        end = rec.last.start + rec.last_frames / self.settings.fps
        metadata = dict(rec.recorder.metadata)
        metadata.update(
            {
                "stop_pressed_at": (
                    iso(self.clock.wall(rec.stop_at)) if rec.stop_at is not None else None
                ),
                "stop_reason": rec.stop_reason,
                "colleagues_present": self.colleagues_present,
                "warning": self.warning,
                "emergency": rec.emergency,
                "video_frames": rec.recorder.video_frames,
                "duration_seconds": round(end - rec.first_start, 3),
            }
        )
        rec.recorder.finish(self.clock.wall(end), metadata)
        summary = {
            "recording_id": rec.recorder.recording_id,
            "started_at": iso(rec.recorder.started_at),
            "stopped_at": iso(self.clock.wall(end)),
            "video_frames": rec.recorder.video_frames,
            "pre_recorded_seconds": metadata["pre_recorded_seconds"],
        }
        self.finished.append(summary)
        # The flags belong to one recording; the next one starts unflagged.
        self.colleagues_present = False
        self.warning = None
        log.info("recording %s sealed", summary["recording_id"])

    def _policy_seconds(self) -> float:
        try:
            state = self.storage.read_state()
        except StorageError:  # a damaged state must not stop the camera: keep the last policy
            log.exception("cannot read the camera state")
            buffer = getattr(self, "buffer", None)
            return buffer.seconds if buffer else DEFAULT_PRE_RECORD_SECONDS
        return float(state.get("pre_record_seconds", DEFAULT_PRE_RECORD_SECONDS))

    def _identity(self) -> dict:
        state = self.storage.read_state()
        missing = [
            k for k in ("camera_id", "organisation_id", "organisation_public_key") if k not in state
        ]
        if missing:
            raise CameraError(
                "this camera is not enrolled, so it has no organisation key to seal footage to: "
                "run `kluis camera enrol --server URL --code CODE` first"
            )
        return {
            "camera_id": state["camera_id"],
            "organisation_id": state["organisation_id"],
            "organisation_public_key": base64.b64decode(state["organisation_public_key"]),
            "serial": state.get("serial"),
        }
