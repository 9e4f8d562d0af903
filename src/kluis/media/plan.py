"""The redaction plan: what to blur and mute in one video, as plain JSON-serialisable data.

Analysis (face detection and tracking) produces a plan; a person reviews it (chooses which tracks
stay visible, adds boxes the detector missed, mutes audio); rendering applies it. Because the plan
is data, the same plan renders the same video again, and the server can store it with the job.

Tracks keep only their keyframes (the frames where the detector saw the face); the box on every
other frame is interpolated from them, so the blurred area moves smoothly and never flickers.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from kluis.media.errors import PlanError

PLAN_VERSION = 1
_FLAT_LIST = re.compile(r"\[((?:\s*-?[\d.eE+-]+,?)+)\s*\]")
AUDIO_ACTIONS = ("mute", "tone")

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Keyframe:
    """A face box the detector found on one frame (frame index counted from 0)."""

    frame: int
    box: Box
    score: float


@dataclass
class Track:
    """One face followed across frames.

    `first_frame`..`last_frame` is the span that is blurred: the detected span widened by the
    detection interval, so a face is covered also on the frames before it was first sampled.
    """

    id: int
    first_frame: int
    last_frame: int
    start: float
    end: float
    keyframes: list[Keyframe]
    thumbnail: str = ""  # base64 JPEG of the face at its best detection, for the reviewer

    def box_at(self, frame: int) -> Box | None:
        """The face box on `frame`, interpolated between keyframes, or None outside the span.

        Between two keyframes the box moves linearly and is widened by a quarter of the distance
        travelled, since real motion between samples need not be linear. Before the first and
        after the last keyframe the box is the union of the held box and the box moved on at the
        track's speed, which covers a face walking into or out of view.
        """
        if not self.first_frame <= frame <= self.last_frame or not self.keyframes:
            return None
        kfs = self.keyframes
        i = bisect.bisect_left(self._frames, frame)
        if i < len(kfs) and kfs[i].frame == frame:
            return kfs[i].box
        if i == 0:
            return _extrapolate(kfs, 0, 1, frame)
        if i == len(kfs):
            return _extrapolate(kfs, -1, -2, frame)
        a, b = kfs[i - 1], kfs[i]
        t = (frame - a.frame) / (b.frame - a.frame)
        box = tuple(pa + (pb - pa) * t for pa, pb in zip(a.box, b.box, strict=True))
        mx = abs((b.box[0] + b.box[2]) - (a.box[0] + a.box[2])) / 8
        my = abs((b.box[1] + b.box[3]) - (a.box[1] + a.box[3])) / 8
        return (box[0] - mx, box[1] - my, box[2] + mx, box[3] + my)

    @functools.cached_property
    def _frames(self) -> list[int]:
        # Cached outside the dataclass fields, so asdict() and the JSON stay clean.
        return [k.frame for k in self.keyframes]


def _extrapolate(kfs: list[Keyframe], edge: int, inner: int, frame: int) -> Box:
    held = kfs[edge].box
    if len(kfs) < 2:
        return held
    a, b = kfs[inner], kfs[edge]
    steps = (frame - b.frame) / (b.frame - a.frame)
    moved = tuple(pb + (pb - pa) * steps for pa, pb in zip(a.box, b.box, strict=True))
    return union(held, moved)


def union(a: Box, b: Box) -> Box:
    """The smallest box containing both boxes."""
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


@dataclass(frozen=True, slots=True)
class ManualBox:
    """A box a reviewer adds for what the detector missed: a profile, a street sign, a plate."""

    start: float
    end: float
    box: Box
    label: str = ""


@dataclass(frozen=True, slots=True)
class AudioEdit:
    """A stretch of audio (seconds) to silence or to cover with a tone, e.g. a name spoken."""

    start: float
    end: float
    action: str = "mute"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """The video a plan was made for, so a plan cannot silently be applied to another video."""

    width: int
    height: int
    frames: int
    fps: float
    duration: float
    has_audio: bool
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class RenderSettings:
    """How strongly to blur: the padding around a face and the coarseness of the blocks.

    `blocks` is the number of mosaic blocks along the longer side of a padded face box; with
    the default 3 a face becomes about six flat patches: nothing left to recognise or recover
    (with 5 or more, the hairline and face outline were still measurable, see docs/redaction.md).
    """

    padding: float = 0.25
    blocks: int = 3
    noise: int = 12


@dataclass(slots=True)
class RedactionPlan:
    """Everything rendering needs; see the module docstring."""

    source: SourceInfo
    tracks: list[Track] = field(default_factory=list)
    keep: list[int] = field(default_factory=list)
    manual_boxes: list[ManualBox] = field(default_factory=list)
    audio: list[AudioEdit] = field(default_factory=list)
    settings: RenderSettings = field(default_factory=RenderSettings)
    version: int = PLAN_VERSION

    def track(self, track_id: int) -> Track:
        """The track with this id; PlanError names the ids that exist when it is unknown."""
        for track in self.tracks:
            if track.id == track_id:
                return track
        known = ", ".join(str(t.id) for t in self.tracks) or "none"
        raise PlanError(f"there is no track {track_id} in this plan (tracks: {known})")

    def set_keep(self, track_ids: list[int]) -> None:
        """Keep these tracks visible (the requester); every other track is blurred."""
        for track_id in track_ids:
            self.track(track_id)
        self.keep = sorted(set(track_ids))

    def boxes_at(self, frame: int, time: float) -> list[Box]:
        """The padded boxes to blur on one frame, clipped to the picture.

        A face that is kept is simply left out; where a kept face overlaps a blurred one, the
        blurred box wins, since hiding too much is the safe error.
        """
        pad = self.settings.padding
        keep = set(self.keep)
        boxes: list[Box] = []
        for track in self.tracks:
            if track.id in keep:
                continue
            box = track.box_at(frame)
            if box is not None:
                boxes.append(_pad(box, pad))
        for manual in self.manual_boxes:
            if manual.start <= time <= manual.end:
                boxes.append(manual.box)
        w, h = self.source.width, self.source.height
        clipped = []
        for x1, y1, x2, y2 in boxes:
            box = (max(0.0, x1), max(0.0, y1), min(float(w), x2), min(float(h), y2))
            if box[2] > box[0] and box[3] > box[1]:
                clipped.append(box)
        return clipped

    @property
    def changes_nothing(self) -> bool:
        """True when rendering would leave picture and sound as they are (SAR-5's exception:
        the requester is the only person seen or heard)."""
        return (
            all(t.id in self.keep for t in self.tracks) and not self.manual_boxes and not self.audio
        )

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-compatible data (lists, not tuples)."""
        return json.loads(json.dumps(asdict(self)))

    def to_json(self) -> str:
        """The plan as indented JSON text, for a file a person can read and edit.

        Boxes stay on one line each, so a track of a thousand keyframes is still browsable.
        """
        text = json.dumps(self.to_dict(), indent=1)
        return _FLAT_LIST.sub(
            lambda m: "[" + ", ".join(m[1].split()).replace(",,", ",") + "]", text
        )

    @classmethod
    def from_json(cls, text: str) -> RedactionPlan:
        """Parse and validate a plan; PlanError says which field is wrong and why."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise PlanError(f"the plan is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> RedactionPlan:
        """Build a plan from parsed JSON, checking every field (see `from_json`)."""
        obj = _Obj(data, "plan")
        version = obj.int("version", default=PLAN_VERSION)
        if version != PLAN_VERSION:
            raise PlanError(
                f"plan.version: this Kluis reads plan version {PLAN_VERSION}, got {version}"
            )
        src = obj.obj("source")
        source = SourceInfo(
            width=src.int("width", minimum=1),
            height=src.int("height", minimum=1),
            frames=src.int("frames", minimum=0),
            fps=src.number("fps", minimum=0.0),
            duration=src.number("duration", minimum=0.0),
            has_audio=src.bool("has_audio", default=True),
            sha256=src.str("sha256", default=""),
        )
        tracks = [_track(t) for t in obj.list("tracks", default=[])]
        ids = [t.id for t in tracks]
        if len(set(ids)) != len(ids):
            raise PlanError("plan.tracks: track ids must be unique")
        keep = [k.value_int(minimum=0) for k in obj.list("keep", default=[])]
        for i, track_id in enumerate(keep):
            if track_id not in ids:
                raise PlanError(f"plan.keep[{i}]: there is no track {track_id}")
        manual = []
        for m in obj.list("manual_boxes", default=[]):
            start, end = _span(m)
            manual.append(ManualBox(start, end, _box(m, "box"), m.str("label", default="")))
        audio = []
        for a in obj.list("audio", default=[]):
            start, end = _span(a)
            action = a.str("action", default="mute")
            if action not in AUDIO_ACTIONS:
                raise PlanError(f"{a.path}.action: must be one of {', '.join(AUDIO_ACTIONS)}")
            audio.append(AudioEdit(start, end, action))
        st = obj.obj("settings", default={})
        settings = RenderSettings(
            padding=st.number("padding", default=0.25, minimum=0.0, maximum=2.0),
            blocks=st.int("blocks", default=3, minimum=1, maximum=64),
            noise=st.int("noise", default=12, minimum=0, maximum=128),
        )
        return cls(source, tracks, sorted(set(keep)), manual, audio, settings, version)


def _pad(box: Box, pad: float) -> Box:
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * pad, (y2 - y1) * pad
    return (x1 - dx, y1 - dy, x2 + dx, y2 + dy)


def _track(t: _Obj) -> Track:
    track_id = t.int("id", minimum=0)
    kfs = []
    for k in t.list("keyframes"):
        kfs.append(
            Keyframe(k.int("frame", minimum=0), _box(k, "box"), k.number("score", default=1.0))
        )
    if not kfs:
        raise PlanError(f"{t.path}.keyframes: a track needs at least one keyframe")
    frames = [k.frame for k in kfs]
    if any(b <= a for a, b in zip(frames, frames[1:], strict=False)):
        raise PlanError(f"{t.path}.keyframes: frames must be in increasing order without repeats")
    first = t.int("first_frame", default=frames[0], minimum=0)
    last = t.int("last_frame", default=frames[-1], minimum=0)
    if not first <= frames[0] or not frames[-1] <= last:
        raise PlanError(f"{t.path}: first_frame..last_frame must include every keyframe")
    start = t.number("start", default=0.0, minimum=0.0)
    end = t.number("end", default=start, minimum=0.0)
    return Track(track_id, first, last, start, end, kfs, t.str("thumbnail", default=""))


def _span(o: _Obj) -> tuple[float, float]:
    start = o.number("start", minimum=0.0)
    end = o.number("end", minimum=0.0)
    if end < start:
        raise PlanError(f"{o.path}: end ({end}) is before start ({start})")
    return start, end


def _box(o: _Obj, key: str) -> Box:
    items = o.list(key)
    if len(items) != 4:
        raise PlanError(f"{o.path}.{key}: expected 4 numbers [x1, y1, x2, y2]")
    x1, y1, x2, y2 = (i.value_number() for i in items)
    if not (x1 < x2 and y1 < y2):
        raise PlanError(f"{o.path}.{key}: expected x1 < x2 and y1 < y2, got {[x1, y1, x2, y2]}")
    return (x1, y1, x2, y2)


_MISSING = object()


class _Obj:
    """A JSON value with its path, whose accessors raise PlanError naming that path."""

    def __init__(self, value: Any, path: str) -> None:
        self.value = value
        self.path = path

    def _get(self, key: str, default: Any) -> Any:
        if not isinstance(self.value, dict):
            raise PlanError(f"{self.path}: expected an object")
        if key in self.value:
            return self.value[key]
        if default is _MISSING:
            raise PlanError(f"{self.path}.{key}: missing")
        return default

    def obj(self, key: str, default: Any = _MISSING) -> _Obj:
        value = self._get(key, default)
        if not isinstance(value, dict):
            raise PlanError(f"{self.path}.{key}: expected an object")
        return _Obj(value, f"{self.path}.{key}")

    def list(self, key: str, default: Any = _MISSING) -> list[_Obj]:
        value = self._get(key, default)
        if not isinstance(value, list):
            raise PlanError(f"{self.path}.{key}: expected a list")
        return [_Obj(v, f"{self.path}.{key}[{i}]") for i, v in enumerate(value)]

    def int(self, key: str, default: Any = _MISSING, minimum=None, maximum=None) -> int:
        return _Obj(self._get(key, default), f"{self.path}.{key}").value_int(minimum, maximum)

    def number(self, key: str, default: Any = _MISSING, minimum=None, maximum=None) -> float:
        return _Obj(self._get(key, default), f"{self.path}.{key}").value_number(minimum, maximum)

    def bool(self, key: str, default: Any = _MISSING) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise PlanError(f"{self.path}.{key}: expected true or false")
        return value

    def str(self, key: str, default: Any = _MISSING) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            raise PlanError(f"{self.path}.{key}: expected a string")
        return value

    def value_int(self, minimum=None, maximum=None) -> int:
        v = self.value
        if isinstance(v, bool) or not isinstance(v, int):
            raise PlanError(f"{self.path}: expected a whole number")
        return int(self._range(v, minimum, maximum))

    def value_number(self, minimum=None, maximum=None) -> float:
        v = self.value
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise PlanError(f"{self.path}: expected a number")
        if isinstance(v, int) and abs(v) > 1e15 or isinstance(v, float) and not math.isfinite(v):
            raise PlanError(f"{self.path}: expected a finite number of sensible size")
        return float(self._range(v, minimum, maximum))

    def _range(self, v, minimum, maximum):
        if minimum is not None and v < minimum:
            raise PlanError(f"{self.path}: must be at least {minimum}, got {v}")
        if maximum is not None and v > maximum:
            raise PlanError(f"{self.path}: must be at most {maximum}, got {v}")
        return v
