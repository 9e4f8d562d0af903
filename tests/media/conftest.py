"""Session fixtures: one short clip of real faces with known boxes, analysed once, rendered once.

Clips are small (640x360, 3 s) and made in a temporary directory, so the whole media test
directory stays well under a minute and needs no files in the repository.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
import pytest

from kluis.media import AudioEdit, RedactionPlan, analyse, render
from kluis.media.pipeline import RenderReport
from kluis.media.synthetic import Clip, make_clip

REQUESTER = "requester"
MUTE = (0.8, 1.4)
TONE = (2.0, 2.5)


@dataclass
class Rendered:
    clip: Clip
    plan: RedactionPlan
    path: str
    report: RenderReport
    requester_track: int


def decode_rgb(path: str) -> list[np.ndarray]:
    """Every video frame of a file as an RGB array."""
    with av.open(path) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def decode_audio(path: str) -> tuple[np.ndarray, int, float]:
    """All audio as float samples (channels x n), the sample rate and the first sample's time."""
    with av.open(path) as container:
        chunks, rate, start = [], 0, None
        for frame in container.decode(audio=0):
            if start is None:
                start = frame.time or 0.0
            rate = frame.sample_rate
            chunks.append(frame.to_ndarray().reshape(len(frame.layout.channels), -1))
        return np.concatenate(chunks, axis=1), rate, start or 0.0


def track_for(plan: RedactionPlan, boxes: list, frames: range | None = None) -> list[int]:
    """The ids of the tracks whose keyframes overlap the given ground-truth boxes."""
    from kluis.media.tracking import iou

    ids = set()
    for track in plan.tracks:
        for kf in track.keyframes:
            gt = boxes[kf.frame]
            if gt is not None and iou(gt, kf.box) > 0.3:
                ids.add(track.id)
    return sorted(ids)


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Clip:
    return make_clip(tmp_path_factory.mktemp("clips") / "faces.mp4")


@pytest.fixture(scope="session")
def plan(clip) -> RedactionPlan:
    return analyse(clip.path)


@pytest.fixture(scope="session")
def input_frames(clip) -> list[np.ndarray]:
    return decode_rgb(clip.path)


@pytest.fixture(scope="session")
def rendered(clip, plan, tmp_path_factory) -> Rendered:
    """The clip rendered with the requester kept, one range muted and one toned."""
    (requester,) = track_for(plan, clip.faces[REQUESTER])
    reviewed = RedactionPlan.from_json(plan.to_json())
    reviewed.set_keep([requester])
    reviewed.audio = [AudioEdit(*MUTE, "mute"), AudioEdit(*TONE, "tone")]
    out = str(tmp_path_factory.mktemp("out") / "redacted.mp4")
    report = render(clip.path, out, reviewed)
    return Rendered(clip, reviewed, out, report, requester)


@pytest.fixture(scope="session")
def output_frames(rendered) -> list[np.ndarray]:
    return decode_rgb(rendered.path)
