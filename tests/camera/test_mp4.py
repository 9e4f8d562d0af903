"""Cutting the muxer's byte stream into fragments, and rebasing them (the buffer's unit)."""

from __future__ import annotations

import random

import pytest

from kluis.camera.clock import SimulatedClock
from kluis.camera.encoder import EncoderSettings, FragmentEncoder
from kluis.camera.mp4 import (
    FragmentSplitter,
    MP4Error,
    iter_boxes,
    parse_fragment,
    read_tracks,
    rebase_fragment,
)
from kluis.camera.sources import SyntheticSource, ToneAudio


@pytest.fixture(scope="module")
def stream():
    source = SyntheticSource(96, 64, 25, seconds=4)
    encoder = FragmentEncoder(
        EncoderSettings(96, 64, 25, preset="ultrafast", threads=1), ToneAudio()
    )
    fragments = []
    for frame, t in source.frames(SimulatedClock()):
        fragments += encoder.encode(frame, t)
    fragments += encoder.close()
    return encoder, fragments


def test_every_fragment_starts_at_a_keyframe_second(stream):
    encoder, fragments = stream
    assert [f.start for f in fragments] == [0.0, 1.0, 2.0, 3.0]
    assert all(encoder.video_frames(f) == 25 for f in fragments)


def test_splitter_finds_the_same_fragments_whatever_the_write_sizes(stream):
    encoder, fragments = stream
    raw = encoder.init_segment + b"".join(f.data for f in fragments)
    rng = random.Random(7)
    for _ in range(5):
        splitter, found, pos = FragmentSplitter(), [], 0
        while pos < len(raw):
            step = rng.choice([1, 7, 100, 4096, 50_000])
            found += splitter.feed(raw[pos : pos + step])
            pos += step
        assert splitter.init_segment == encoder.init_segment
        assert [f.data for f in found] == [f.data for f in fragments]


def test_rebased_fragments_start_at_zero_and_count_from_one(stream):
    encoder, fragments = stream
    tracks = read_tracks(encoder.init_segment)
    assert sorted(t.handler for t in tracks.values()) == ["soun", "vide"]
    base = fragments[2].timeline
    first = parse_fragment(rebase_fragment(fragments[2], base, tracks, 1))
    assert min(first.decode_times.values()) == 0
    second = parse_fragment(rebase_fragment(fragments[3], base, tracks, 2))
    video = next(i for i, t in tracks.items() if t.handler == "vide")
    assert second.decode_times[video] == tracks[video].timescale  # one second later


def test_a_cut_box_is_an_error_not_a_guess(stream):
    encoder, fragments = stream
    with pytest.raises(MP4Error):
        list(iter_boxes(fragments[0].data[:-10]))
