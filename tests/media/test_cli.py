"""`kluis redact` from the command line: review in two runs, clear errors."""

from __future__ import annotations

import argparse
import json

import pytest

from kluis.media.cli import add_subparser, parse_box, parse_span, parse_time

from .conftest import REQUESTER, track_for


def kluis(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="kluis")
    add_subparser(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_review_in_two_runs(clip, tmp_path, capsys):
    plan_path, faces = tmp_path / "plan.json", tmp_path / "faces"
    assert (
        kluis(
            "redact", clip.path, "--plan-out", str(plan_path), "--thumbnails", str(faces), "--quiet"
        )
        == 0
    )
    shown = capsys.readouterr().out
    assert "3 face track(s)" in shown
    assert len(list(faces.glob("track-*.jpg"))) == 3
    from kluis.media import RedactionPlan

    plan = RedactionPlan.from_json(plan_path.read_text())
    (requester,) = track_for(plan, clip.faces[REQUESTER])
    out = tmp_path / "out.mp4"
    code = kluis(
        "redact", clip.path, str(out), "--plan", str(plan_path), "--keep", str(requester),
        "--mute", "0:01-0:02", "--box", "1-2:10,10,50,50", "--quiet",
    )  # fmt: skip
    assert code == 0
    assert out.exists()
    assert f"track {requester:3d}" in capsys.readouterr().out


def test_missing_input_is_a_clear_error(tmp_path, capsys):
    assert kluis("redact", str(tmp_path / "nope.mp4"), str(tmp_path / "o.mp4"), "--quiet") == 2
    assert "does not exist" in capsys.readouterr().err


def test_unknown_track_is_a_clear_error(clip, tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {"source": {"width": 640, "height": 360, "frames": 75, "fps": 25, "duration": 3}}
        )
    )
    assert (
        kluis("redact", clip.path, str(tmp_path / "o.mp4"), "--plan", str(plan), "--keep", "4") == 2
    )
    assert "no track 4" in capsys.readouterr().err


def test_needs_something_to_write(clip, capsys):
    assert kluis("redact", clip.path) == 2


def test_argument_parsers():
    assert parse_time("1:02.5") == 62.5
    assert parse_span("12-14.5") == (12.0, 14.5)
    assert parse_box("3-7.5:100,200,260,260").box == (100.0, 200.0, 260.0, 260.0)
    for bad in ("7-3", "abc"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_span(bad)
    with pytest.raises(argparse.ArgumentTypeError, match="START-END:X1,Y1,X2,Y2"):
        parse_box("3-7:1,2,3")
