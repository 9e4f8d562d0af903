"""Pipeline details: silent videos, the reader thread, bad input."""

from __future__ import annotations

import itertools

import av
import pytest

from kluis.media import MediaError, analyse, render
from kluis.media.pipeline import default_detect_size, read_ahead
from kluis.media.synthetic import make_clip


def test_a_video_without_sound_stays_without_sound(tmp_path):
    source = make_clip(tmp_path / "with.mp4", seconds=0.4, actors=[])
    silent = tmp_path / "silent.mp4"
    with av.open(source.path) as inp, av.open(str(silent), "w") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    plan = analyse(silent)
    assert plan.tracks == [] and not plan.source.has_audio
    report = render(silent, tmp_path / "out.mp4", plan)
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert not c.streams.audio
        assert c.streams.video[0].frames in (0, report.frames)  # fragmented: count may be absent
    assert report.frames == source.frames


def test_not_a_video_is_a_clear_error(tmp_path):
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video")
    with pytest.raises(MediaError, match="cannot read"):
        analyse(junk)


def test_reader_passes_items_in_order_and_raises_its_errors():
    assert list(read_ahead(iter(range(100)), depth=3)) == list(range(100))

    def broken():
        yield 1
        raise ValueError("disk on fire")

    with pytest.raises(ValueError, match="disk on fire"):
        list(read_ahead(broken()))


def test_reader_stops_when_the_consumer_stops():
    reader = read_ahead(itertools.count(), depth=2)
    assert next(reader) == 0
    reader.close()  # joins the thread; an endless source must not hang this


def test_detector_size_keeps_the_aspect_in_multiples_of_32():
    assert default_detect_size(1280, 720) == (640, 384)
    assert default_detect_size(1920, 1080) == (640, 384)
    assert default_detect_size(720, 1280) == (384, 640)
