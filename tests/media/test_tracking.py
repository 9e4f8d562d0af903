"""Tracks from sparse detections: stable ids, gaps bridged, boxes interpolated."""

from __future__ import annotations

from kluis.media.detector import Detection
from kluis.media.plan import Keyframe, Track
from kluis.media.tracking import Tracker


def det(x: float, y: float, size: float = 60, score: float = 0.9) -> Detection:
    return Detection(x, y, x + size, y + size, score)


def run(samples: dict[int, list[Detection]], last: int, every: int = 4) -> list[Track]:
    tracker = Tracker()
    for frame in range(0, last + 1, every):
        tracker.update(frame, samples.get(frame, []))
    return tracker.finish(last, every, lambda f: f / 25)


def test_a_moving_face_is_one_track_even_when_fast():
    # 30 px per frame: 120 px between samples, twice the face's size, still one person.
    tracks = run({f: [det(10 + 30 * f, 100)] for f in range(0, 41, 4)}, 40)
    assert len(tracks) == 1
    assert len(tracks[0].keyframes) == 11


def test_two_faces_keep_their_own_ids_when_passing():
    samples = {f: [det(100 + 10 * f, 100), det(500 - 10 * f, 300)] for f in range(0, 41, 4)}
    tracks = run(samples, 40)
    assert len(tracks) == 2
    for t in tracks:
        xs = [k.box[0] for k in t.keyframes]
        assert xs == sorted(xs) or xs == sorted(xs, reverse=True)


def test_a_short_miss_is_bridged_by_interpolation():
    samples = {f: [det(100 + 5 * f, 100)] for f in range(0, 41, 4) if f not in (16, 20)}
    tracks = run(samples, 40)
    assert len(tracks) == 1
    box = tracks[0].box_at(18)
    assert box[0] < 100 + 5 * 18 < box[2]


def test_a_long_absence_starts_a_new_track():
    samples = {f: [det(100, 100)] for f in (0, 4, 8, 40, 44)}
    assert len(run(samples, 44)) == 2


def test_a_weak_one_off_hit_is_noise_but_a_confident_one_is_kept():
    assert run({8: [det(100, 100, score=0.35)]}, 20) == []
    assert len(run({8: [det(100, 100, score=0.8)]}, 20)) == 1


def test_span_is_widened_by_the_detection_interval():
    (track,) = run({f: [det(100, 100)] for f in (8, 12, 16)}, 40)
    assert (track.first_frame, track.last_frame) == (4, 20)
    assert track.box_at(3) is None and track.box_at(21) is None


def test_box_is_exact_on_keyframes_and_linear_between():
    track = Track(
        1, 0, 8, 0.0, 0.32,
        [Keyframe(0, (0.0, 0.0, 10.0, 10.0), 1.0), Keyframe(8, (80.0, 0.0, 90.0, 10.0), 1.0)],
    )  # fmt: skip
    assert track.box_at(0) == (0.0, 0.0, 10.0, 10.0)
    x1, _, x2, _ = track.box_at(4)
    assert (x1 + x2) / 2 == 45.0  # centred on the straight path
    assert x2 - x1 > 10.0  # widened: the path between samples may curve


def test_box_before_first_keyframe_covers_held_and_moved_positions():
    track = Track(
        1, 0, 12, 0.0, 0.48,
        [Keyframe(4, (100.0, 0.0, 110.0, 10.0), 1.0), Keyframe(8, (120.0, 0.0, 130.0, 10.0), 1.0)],
    )  # fmt: skip
    x1, _, x2, _ = track.box_at(0)
    assert x1 <= 80.0 and x2 >= 110.0
