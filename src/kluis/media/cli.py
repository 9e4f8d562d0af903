"""`kluis redact`: blur everyone but the requester in a video, from the command line.

A typical review takes two runs: the first analyses and writes the plan and the face thumbnails,
the reviewer picks the requester's track, the second renders with that track kept:

    kluis redact in.mp4 --plan-out plan.json --thumbnails faces/
    kluis redact in.mp4 out.mp4 --plan plan.json --keep 2 --tone 12-14.5

No Django here: this runs on any machine with the media dependencies.
"""

from __future__ import annotations

import argparse
import base64
import re
import sys
from pathlib import Path

from kluis.media.errors import MediaError
from kluis.media.plan import AudioEdit, ManualBox, RedactionPlan

_TIME = r"(?:\d+:)?\d+(?:\.\d+)?"
_SPAN = re.compile(rf"^({_TIME})-({_TIME})$")
_BOX = re.compile(rf"^({_TIME})-({_TIME}):(\d+),(\d+),(\d+),(\d+)$")
_SIZE = re.compile(r"^(\d+)x(\d+)$")


def parse_time(text: str) -> float:
    """Seconds from '12.5' or '1:02.5' (minutes:seconds), as a reviewer reads them off a player."""
    if ":" in text:
        minutes, seconds = text.split(":", 1)
        return int(minutes) * 60 + float(seconds)
    return float(text)


def parse_span(text: str) -> tuple[float, float]:
    """A time span 'START-END' in seconds; argparse shows the error when it is malformed."""
    match = _SPAN.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"expected START-END in seconds, e.g. 12-14.5, got {text!r}"
        )
    start, end = parse_time(match[1]), parse_time(match[2])
    if end < start:
        raise argparse.ArgumentTypeError(f"end is before start in {text!r}")
    return start, end


def parse_box(text: str) -> ManualBox:
    """A manual box 'START-END:X1,Y1,X2,Y2' (seconds, pixels), e.g. a licence plate."""
    match = _BOX.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"expected START-END:X1,Y1,X2,Y2, e.g. 3-7.5:100,200,260,260, got {text!r}"
        )
    start, end = parse_time(match[1]), parse_time(match[2])
    x1, y1, x2, y2 = (float(match[i]) for i in range(3, 7))
    if end < start or x2 <= x1 or y2 <= y1:
        raise argparse.ArgumentTypeError(f"need start <= end, x1 < x2 and y1 < y2 in {text!r}")
    return ManualBox(start, end, (x1, y1, x2, y2), "command line")


def parse_size(text: str) -> tuple[int, int]:
    """A detector input size 'WxH', e.g. 640x384."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected WxH, e.g. 640x384, got {text!r}")
    return int(match[1]), int(match[2])


def add_subparser(subparsers) -> argparse.ArgumentParser:
    """Add `redact` to the `kluis` command (called by kluis.cli)."""
    parser = subparsers.add_parser(
        "redact",
        help="blur every face but the requester's, mute audio; writes fragmented MP4",
        description=(
            "Find and track faces in INPUT and write OUTPUT with every face blurred except the "
            "kept tracks. Without OUTPUT only the analysis runs (use --plan-out to save it)."
        ),
    )
    parser.add_argument("input", metavar="INPUT", help="the video to redact")
    parser.add_argument("output", metavar="OUTPUT", nargs="?", help="the redacted MP4 to write")
    parser.add_argument(
        "--plan", metavar="PLAN", help="apply this plan (JSON) instead of analysing"
    )
    parser.add_argument("--plan-out", metavar="PLAN", help="write the plan (JSON) for review")
    parser.add_argument(
        "--keep",
        metavar="TRACK",
        type=int,
        nargs="+",
        default=[],
        help="track ids to leave visible",
    )
    parser.add_argument(
        "--box",
        metavar="START-END:X1,Y1,X2,Y2",
        type=parse_box,
        action="append",
        default=[],
        help="also blur this box during this time (repeatable)",
    )
    parser.add_argument(
        "--mute", metavar="START-END", type=parse_span, action="append", default=[],
        help="silence the audio during this time (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--tone", metavar="START-END", type=parse_span, action="append", default=[],
        help="replace the audio with a 1 kHz tone during this time (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--thumbnails", metavar="DIR", help="write a JPEG of each track's face here"
    )
    parser.add_argument(
        "--no-thumbnails", action="store_true", help="keep face pictures out of the plan file"
    )
    parser.add_argument(
        "--detect-every", metavar="K", type=int, default=5, help="run detection every K-th frame"
    )
    parser.add_argument(
        "--detect-size",
        metavar="WxH",
        type=parse_size,
        help="detector input size (default: 640 wide)",
    )
    parser.add_argument("--threshold", type=float, default=0.3, help="face score threshold")
    parser.add_argument("--preset", default="veryfast", help="x264 preset for the output")
    parser.add_argument("--crf", type=int, default=23, help="x264 quality (lower is better)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)
    return parser


def _bar(desc: str, quiet: bool):
    from tqdm import tqdm  # on use: only an interactive run shows progress

    bar = tqdm(desc=desc, unit="frame", disable=quiet, file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        if total and bar.total != max(total, done):
            bar.total = max(total, done)
        bar.update(done - bar.n)

    return bar, progress


def run(args: argparse.Namespace) -> int:
    """Carry out `kluis redact`; returns the exit status (2 for a usage or input problem)."""
    # On use: the pipeline loads PyAV, OpenCV and the detector; --help and bad input need none.
    from kluis.media.pipeline import analyse, render

    if not args.output and not args.plan_out and not args.thumbnails:
        print("kluis redact: give OUTPUT, --plan-out or --thumbnails (or all)", file=sys.stderr)
        return 2
    try:
        if args.plan:
            try:
                plan = RedactionPlan.from_json(Path(args.plan).read_text(encoding="utf-8"))
            except OSError as exc:
                raise MediaError(f"cannot read plan {args.plan}: {exc.strerror}") from None
        else:
            bar, progress = _bar("analysing", args.quiet)
            with bar:
                plan = analyse(
                    args.input,
                    detect_every=args.detect_every,
                    detect_size=args.detect_size,
                    threshold=args.threshold,
                    thumbnails=not args.no_thumbnails,
                    progress=progress,
                )
        if args.keep:
            plan.set_keep(sorted(set(plan.keep) | set(args.keep)))
        plan.manual_boxes.extend(args.box)
        plan.audio.extend(AudioEdit(s, e, "mute") for s, e in args.mute)
        plan.audio.extend(AudioEdit(s, e, "tone") for s, e in args.tone)
        _print_tracks(plan)
        if args.thumbnails:
            _write_thumbnails(plan, Path(args.thumbnails))
        if args.plan_out:
            Path(args.plan_out).write_text(plan.to_json(), encoding="utf-8")
            print(f"plan written to {args.plan_out}")
        if args.output:
            bar, progress = _bar("rendering", args.quiet)
            with bar:
                report = render(
                    args.input, args.output, plan, preset=args.preset, crf=args.crf,
                    progress=progress,
                )  # fmt: skip
            print(
                f"{args.output}: {report.frames} frames, {report.frames_blurred} with blurring, "
                f"{report.fps:.1f} frames/s"
            )
    except MediaError as exc:
        print(f"kluis redact: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _print_tracks(plan: RedactionPlan) -> None:
    keep = set(plan.keep)
    print(f"{len(plan.tracks)} face track(s):")
    for t in plan.tracks:
        state = "kept visible" if t.id in keep else "blurred"
        span = f"{t.start:8.2f}s - {t.end:8.2f}s"
        print(f"  track {t.id:3d}  {span}  {len(t.keyframes):4d} detections  {state}")


def _write_thumbnails(plan: RedactionPlan, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for t in plan.tracks:
        if t.thumbnail:
            (directory / f"track-{t.id}.jpg").write_bytes(base64.b64decode(t.thumbnail))
    print(f"thumbnails written to {directory}")
