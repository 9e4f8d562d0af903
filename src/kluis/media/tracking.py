"""Turn face detections on sampled frames into tracks with stable ids.

Detection runs on every k-th frame only (it is the expensive step), so a face moves up to k
frames' worth between two samples. Each track predicts where its face is on the next sample at
constant velocity; detections are matched to predictions by overlap (IoU) and, for fast or
small faces that no longer overlap, by centre distance relative to the face size. A track that is
not matched survives a few samples (a turned head, a hand in front of the face) and is
interpolated across the gap, so the blur does not blink off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kluis.media.detector import Detection
from kluis.media.plan import Box, Keyframe, Track

IOU_MATCH = 0.2
DISTANCE_MATCH = 0.8  # centre distance, in units of the predicted face size
# A track seen once has no speed yet, so its prediction is where it was: allow a fast face
# (a person running past, 30 px a frame) to have moved up to 2.5 face sizes by the next sample.
DISTANCE_MATCH_NEW = 2.5
SIZE_RATIO = 2.0  # a face cannot grow or shrink more than this between two samples


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when they do not touch)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area if area > 0 else 0.0


@dataclass
class _Live:
    id: int
    keyframes: list[Keyframe] = field(default_factory=list)
    missed: int = 0

    def predict(self, frame: int) -> Box:
        last = self.keyframes[-1]
        if len(self.keyframes) < 2:
            return last.box
        prev = self.keyframes[-2]
        steps = (frame - last.frame) / (last.frame - prev.frame)
        return tuple(b + (b - a) * steps for a, b in zip(prev.box, last.box, strict=True))


class Tracker:
    """Builds tracks from detections fed in frame order; call `finish` for the result."""

    def __init__(self, max_missed: int = 3, min_keyframes: int = 2, min_score: float = 0.5) -> None:
        # A track seen on one sample only is kept when the detector was confident: a short
        # glimpse of a real face must still be blurred, a weak one-off hit is usually noise.
        self.max_missed = max_missed
        self.min_keyframes = min_keyframes
        self.min_score = min_score
        self._live: list[_Live] = []
        self._done: list[_Live] = []
        self._next_id = 1

    def update(self, frame: int, detections: list[Detection]) -> list[tuple[int, Detection]]:
        """Add the detections of one sampled frame; returns (track id, detection) pairs."""
        pairs = []
        for ti, track in enumerate(self._live):
            pred = track.predict(frame)
            limit = DISTANCE_MATCH if len(track.keyframes) > 1 else DISTANCE_MATCH_NEW
            for di, det in enumerate(detections):
                score = _match(pred, det.box, limit)
                if score > 0:
                    pairs.append((score, ti, di))
        pairs.sort(reverse=True)
        used_t: set[int] = set()
        used_d: set[int] = set()
        result = []
        for _, ti, di in pairs:
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            track = self._live[ti]
            track.keyframes.append(
                Keyframe(frame, _round(detections[di].box), round(detections[di].score, 3))
            )
            track.missed = 0
            result.append((track.id, detections[di]))
        still_live = []
        for ti, track in enumerate(self._live):
            if ti not in used_t:
                track.missed += 1
                if track.missed > self.max_missed:
                    self._done.append(track)
                    continue
            still_live.append(track)
        self._live = still_live
        for di, det in enumerate(detections):
            if di in used_d:
                continue
            track = _Live(self._next_id, [Keyframe(frame, _round(det.box), round(det.score, 3))])
            self._next_id += 1
            self._live.append(track)
            result.append((track.id, det))
        return result

    def finish(
        self, last_frame: int, extend: int, time_of, thumbnails: dict[int, str] | None = None
    ) -> list[Track]:
        """Close all tracks and return those worth blurring, each widened by `extend` frames.

        `extend` is the detection interval: a face first seen on a sample may have been visible
        on the frames since the previous sample. `time_of(frame)` gives a frame's time in
        seconds, for the reviewer's overview; `thumbnails` maps the ids `update` returned to a
        picture of the face.
        """
        tracks = []
        for live in sorted(self._done + self._live, key=lambda t: t.id):
            kfs = live.keyframes
            if len(kfs) < self.min_keyframes and max(k.score for k in kfs) < self.min_score:
                continue
            first = max(0, kfs[0].frame - extend)
            last = min(last_frame, kfs[-1].frame + extend)
            thumb = (thumbnails or {}).get(live.id, "")
            tracks.append(Track(live.id, first, last, time_of(first), time_of(last), kfs, thumb))
        # Renumber 1..n so the ids a reviewer types are short and in order of appearance.
        for new_id, track in enumerate(sorted(tracks, key=lambda t: (t.first_frame, t.id)), 1):
            track.id = new_id
        return sorted(tracks, key=lambda t: t.id)


def _match(pred: Box, box: Box, limit: float = DISTANCE_MATCH) -> float:
    """How well a detection fits a prediction: > 0 when it may be the same face."""
    overlap = iou(pred, box)
    if overlap >= IOU_MATCH:
        return 1.0 + overlap
    pw, ph = pred[2] - pred[0], pred[3] - pred[1]
    bw, bh = box[2] - box[0], box[3] - box[1]
    size = max(pw, ph, 1.0)
    ratio = max(bw * bh, 1.0) / max(pw * ph, 1.0)
    if not 1 / SIZE_RATIO**2 <= ratio <= SIZE_RATIO**2:
        return 0.0
    dx = (box[0] + box[2] - pred[0] - pred[2]) / 2
    dy = (box[1] + box[3] - pred[1] - pred[3]) / 2
    distance = (dx * dx + dy * dy) ** 0.5 / size
    return 1.0 - distance / limit if distance < limit else 0.0


def _round(box: Box) -> Box:
    # One decimal is far below a pixel and keeps the plan file readable.
    return (round(box[0], 1), round(box[1], 1), round(box[2], 1), round(box[3], 1))
