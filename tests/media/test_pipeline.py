"""Pipeline details: silent videos, the reader thread, bad input."""

from __future__ import annotations

import itertools
from pathlib import Path

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


def test_other_containers_rates_and_pixel_formats(tmp_path):
    """Matroska, 29.97 fps, full-range yuvj420p and mono 44.1 kHz sound, as some cameras write."""
    from fractions import Fraction

    source = make_clip(tmp_path / "base.mp4", seconds=1.0)
    odd = str(tmp_path / "odd.mkv")
    with av.open(source.path) as inp, av.open(odd, "w") as out:
        vs = out.add_stream("libx264", rate=Fraction(30000, 1001))
        vs.width, vs.height, vs.pix_fmt = source.width, source.height, "yuvj420p"
        aus = out.add_stream("aac", rate=44100)
        aus.layout = "mono"
        for i, frame in enumerate(inp.decode(video=0)):
            frame = frame.reformat(format="yuvj420p")
            frame.pts, frame.time_base = i, Fraction(1001, 30000)
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        inp.seek(0)
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=44100)
        for frame in inp.decode(audio=0):
            for chunk in resampler.resample(frame):
                out.mux(aus.encode(chunk))
        out.mux(aus.encode(None))
    plan = analyse(odd)
    assert plan.source.fps == pytest.approx(29.97) and plan.source.frames == source.frames
    report = render(odd, tmp_path / "out.mp4", plan)
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == report.frames == source.frames
        assert c.streams.audio[0].rate == 44100


class WriteOnly:
    """A sink that cannot seek, like an encrypting writer or a network upload."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk) -> int:
        self.data += chunk
        return len(chunk)


def test_streams_in_and_out_so_footage_never_touches_the_disk(clip, plan):
    """The server decrypts into a stream and encrypts the output as it is written (STO-3)."""
    import io

    source = io.BytesIO(Path(clip.path).read_bytes())
    streamed = analyse(source)
    assert streamed.source == plan.source
    sink = WriteOnly()
    report = render(source, sink, streamed)
    assert report.frames == clip.frames
    with av.open(io.BytesIO(bytes(sink.data))) as c:
        assert sum(1 for _ in c.decode(video=0)) == clip.frames
        assert c.streams.audio
