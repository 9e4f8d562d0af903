"""The plan file: round-trips exactly, and bad input gets an error that names the field."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kluis.media import AudioEdit, Keyframe, ManualBox, PlanError, RedactionPlan, SourceInfo, Track
from kluis.media.plan import RenderSettings

coord = st.floats(0, 4000, allow_nan=False).map(lambda v: round(v, 1))
seconds = st.floats(0, 3600, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def boxes(draw):
    x1, y1 = draw(coord), draw(coord)
    return (x1, y1, x1 + draw(st.integers(1, 500)), y1 + draw(st.integers(1, 500)))


@st.composite
def spans(draw):
    a, b = sorted((draw(seconds), draw(seconds)))
    return a, b


@st.composite
def tracks(draw, track_id):
    frames = sorted(draw(st.sets(st.integers(0, 10_000), min_size=1, max_size=6)))
    kfs = [Keyframe(f, draw(boxes()), round(draw(st.floats(0, 1)), 3)) for f in frames]
    first = frames[0] - draw(st.integers(0, min(4, frames[0])))
    last = frames[-1] + draw(st.integers(0, 4))
    start, end = draw(spans())
    return Track(track_id, first, last, start, end, kfs, draw(st.sampled_from(["", "aGk="])))


@st.composite
def plans(draw):
    n = draw(st.integers(0, 4))
    ts = [draw(tracks(i + 1)) for i in range(n)]
    keep = sorted(draw(st.sets(st.sampled_from([t.id for t in ts]))) if ts else set())
    source = SourceInfo(
        width=draw(st.integers(16, 4000)),
        height=draw(st.integers(16, 4000)),
        frames=draw(st.integers(0, 100_000)),
        fps=25.0,
        duration=draw(seconds),
        has_audio=draw(st.booleans()),
        sha256=draw(st.sampled_from(["", "ab" * 32])),
    )
    manual = [
        ManualBox(*draw(spans()), draw(boxes()), draw(st.text(max_size=10)))
        for _ in range(draw(st.integers(0, 3)))
    ]
    audio = [
        AudioEdit(*draw(spans()), draw(st.sampled_from(["mute", "tone"])))
        for _ in range(draw(st.integers(0, 3)))
    ]
    settings_ = RenderSettings(
        padding=draw(st.sampled_from([0.0, 0.25, 1.5])),
        blocks=draw(st.integers(1, 64)),
        noise=draw(st.integers(0, 128)),
    )
    return RedactionPlan(source, ts, keep, manual, audio, settings_)


@given(plans())
@settings(max_examples=150, deadline=None)
def test_plan_round_trips_through_json(plan):
    assert RedactionPlan.from_json(plan.to_json()) == plan


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)


@given(json_values)
@settings(max_examples=300, deadline=None)
def test_any_json_is_a_plan_or_a_plan_error(value):
    """No input makes the parser fail with anything but a PlanError (a message, not a crash)."""
    with contextlib.suppress(PlanError):
        RedactionPlan.from_dict(value)


@given(plans(), st.data())
@settings(max_examples=150, deadline=None)
def test_a_damaged_plan_is_a_plan_or_a_plan_error(plan, data):
    """Replace one field anywhere in a valid plan by junk: the parser still only says PlanError."""
    doc = plan.to_dict()
    node, path = doc, []
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        key = data.draw(
            st.sampled_from(list(node.keys()) if isinstance(node, dict) else range(len(node)))
        )
        path.append(key)
        if not isinstance(node[key], dict | list):
            break
        node = node[key]
    if path:
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = data.draw(json_values)
    with contextlib.suppress(PlanError):
        RedactionPlan.from_dict(doc)


def minimal() -> dict:
    return {
        "source": {"width": 640, "height": 360, "frames": 10, "fps": 25, "duration": 0.4},
        "tracks": [{"id": 1, "keyframes": [{"frame": 0, "box": [1, 2, 30, 40]}]}],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(keep=[7]), r"plan.keep\[0\]: there is no track 7"),
        (lambda d: d["tracks"][0]["keyframes"][0].update(box=[30, 2, 1, 40]), "x1 < x2"),
        (lambda d: d["tracks"][0]["keyframes"][0].update(box=[1, 2]), "expected 4 numbers"),
        (
            lambda d: d.update(audio=[{"start": 5, "end": 2}]),
            r"plan.audio\[0\]: end \(2.0\) is before start",
        ),
        (lambda d: d.update(audio=[{"start": 1, "end": 2, "action": "bleep"}]), "mute, tone"),
        (lambda d: d["source"].pop("width"), "plan.source.width: missing"),
        (lambda d: d.update(version=2), "plan version 1"),
        (lambda d: d["tracks"].append(d["tracks"][0]), "unique"),
        (lambda d: d["tracks"][0].update(first_frame=5), "must include every keyframe"),
    ],
)
def test_errors_name_the_field_and_the_problem(change, message):
    doc = minimal()
    change(doc)
    with pytest.raises(PlanError, match=message):
        RedactionPlan.from_dict(doc)


def test_not_json_is_a_plan_error():
    with pytest.raises(PlanError, match="not valid JSON"):
        RedactionPlan.from_json("{tracks: [")


def test_minimal_plan_fills_in_defaults():
    plan = RedactionPlan.from_dict(minimal())
    assert plan.keep == [] and plan.audio == [] and plan.settings == RenderSettings()
    assert plan.track(1).first_frame == 0


def test_keeping_an_unknown_track_is_refused():
    plan = RedactionPlan.from_dict(minimal())
    with pytest.raises(PlanError, match=r"no track 9 in this plan \(tracks: 1\)"):
        plan.set_keep([9])


def test_plan_file_is_readable_json():
    text = RedactionPlan.from_dict(minimal()).to_json()
    assert '"box": [1.0, 2.0, 30.0, 40.0]' in text
    assert json.loads(text)["version"] == 1


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_any_text_is_a_plan_or_a_plan_error(text):
    with contextlib.suppress(PlanError):
        RedactionPlan.from_json(text)


def test_deeply_nested_json_is_a_plan_error():
    with pytest.raises(PlanError):
        RedactionPlan.from_json("[" * 100_000 + "]" * 100_000)
