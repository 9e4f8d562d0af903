"""Kluis redaction against deface on the same 720p clip with known face positions.

Prints, side by side, frames per second on this machine and recall: the share of ground-truth
face-frames whose fine detail is gone from the output (the same pixel measure for every tool,
`kluis.media.synthetic.detail_correlation` below 0.3). No asserts: figures to read and compare.

    python benchmarks/bench_redaction.py                # 720p, 6 s, Kluis + deface default
    python benchmarks/bench_redaction.py --no-deface    # Kluis only, quick

deface runs in-process through its own API, exactly as its CLI does (`deface IN -o OUT`: detection
on every frame at full resolution, threshold 0.2, mask scale 1.3, ellipse blur); for both tools the
model is loaded before the clock starts, so process start-up does not count.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from kluis.media import analyse, render
from kluis.media.pipeline import default_detect_size, shared_detector
from kluis.media.synthetic import Actor, covered, default_actors, detail_correlation, make_clip

REVEALED = 0.3


def bench_actors() -> list[Actor]:
    """The test scene plus a smaller, more distant face, so small faces count in the recall."""
    return [
        *default_actors(),
        Actor("distant", "cameraman", 0.45, lambda t: (40 + 20 * t, 250 + 6 * math.sin(t * 3))),
    ]


def decode(path: str) -> list[np.ndarray]:
    with av.open(path) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def recall(clip, original: list[np.ndarray], output_path: str) -> tuple[float, int, int]:
    """(share of face-frames hidden, face-frames revealed, frames with any face revealed)."""
    output = decode(output_path)
    if len(output) != len(original):
        print(f"  note: {output_path} has {len(output)} frames, the input {len(original)}")
    hidden = total = 0
    bad_frames = set()
    for boxes in clip.faces.values():
        for i, gt in enumerate(boxes):
            if gt is None or i >= len(output):
                continue
            total += 1
            if detail_correlation(original[i], output[i], gt) < REVEALED:
                hidden += 1
            else:
                bad_frames.add(i)
    return hidden / total, total - hidden, len(bad_frames)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (deface encodes through ffmpeg
    subprocesses): unlike wall time, hardly affected by other work on a shared machine."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_kluis(clip, out: str, detect_every: int) -> tuple[float, float, dict]:
    shared_detector(default_detect_size(clip.width, clip.height), 0.3)  # load before the clock
    cpu = cpu_seconds()
    started = time.perf_counter()
    plan = analyse(clip.path, detect_every=detect_every)
    analysed = time.perf_counter()
    report = render(clip.path, out, plan)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    geometric = [
        covered(gt, plan.boxes_at(i, i / clip.fps), 0.0)
        for boxes in clip.faces.values()
        for i, gt in enumerate(boxes)
        if gt is not None
    ]
    return (
        seconds,
        cpu,
        {
            "analyse_s": analysed - started,
            "render_s": report.seconds,
            "tracks": len(plan.tracks),
            "geometric_recall": sum(geometric) / len(geometric),
        },
    )


def run_deface(clip, out: str, scale: tuple[int, int] | None) -> tuple[float, float]:
    from deface.centerface import CenterFace
    from deface.deface import video_detect

    with contextlib.redirect_stdout(io.StringIO()):
        centerface = CenterFace(in_shape=scale, backend="auto")
    cpu = cpu_seconds()
    started = time.perf_counter()
    video_detect(
        ipath=clip.path,
        opath=out,
        centerface=centerface,
        threshold=0.2,
        enable_preview=False,
        cam=False,
        nested=False,
        replacewith="blur",
        mask_scale=1.3,
        ellipse=True,
        draw_scores=False,
        ffmpeg_config={"codec": "libx264"},
    )
    return time.perf_counter() - started, cpu_seconds() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--detect-every", type=int, default=5)
    parser.add_argument("--no-deface", action="store_true", help="run Kluis only")
    parser.add_argument(
        "--deface-scaled", action="store_true", help="also run deface at Kluis's detector size"
    )
    parser.add_argument("--keep-files", metavar="DIR", help="keep clip and outputs here")
    args = parser.parse_args()

    workdir = args.keep_files or tempfile.mkdtemp(prefix="kluis-bench-")
    os.makedirs(workdir, exist_ok=True)
    clip = make_clip(
        Path(workdir) / "clip.mp4",
        width=args.width,
        height=args.height,
        seconds=args.seconds,
        actors=bench_actors(),
    )
    original = decode(clip.path)
    face_frames = sum(b is not None for boxes in clip.faces.values() for b in boxes)
    print(
        f"clip: {clip.width}x{clip.height}, {clip.frames} frames at {clip.fps} fps, "
        f"{len(clip.faces)} people, {face_frames} ground-truth face-frames; "
        f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}",
        flush=True,
    )

    rows = []
    out = str(Path(workdir) / "kluis.mp4")
    seconds, cpu, info = run_kluis(clip, out, args.detect_every)
    rows.append(
        (f"Kluis (detect every {args.detect_every}th frame at 640 wide)", seconds, cpu, out)
    )
    print(
        f"  Kluis: analyse {info['analyse_s']:.1f} s, render {info['render_s']:.1f} s, "
        f"{info['tracks']} tracks, plan covers {info['geometric_recall']:.1%} of face-frames",
        flush=True,
    )
    if not args.no_deface:
        out = str(Path(workdir) / "deface.mp4")
        rows.append(
            ("deface 1.5.0 default (every frame, full size)", *run_deface(clip, out, None), out)
        )
        if args.deface_scaled:
            size = default_detect_size(clip.width, clip.height)
            out = str(Path(workdir) / "deface-scaled.mp4")
            label = f"deface --scale {size[0]}x{size[1]}"
            rows.append((label, *run_deface(clip, out, size), out))

    print()
    print(
        f"{'tool':50s} {'fps':>6s} {'speed-up':>8s} {'CPU ms/f':>8s} "
        f"{'recall':>7s} {'missed':>6s} {'frames':>6s}"
    )
    base = rows[1][1] if len(rows) > 1 else None  # deface default
    for label, secs, cpu, path in rows:
        share, missed, bad = recall(clip, original, path)
        fps = clip.frames / secs
        speed = f"{base / secs:.1f}x" if base else "-"
        cpu_ms = 1000 * cpu / clip.frames
        print(f"{label:50s} {fps:6.1f} {speed:>8s} {cpu_ms:8.0f} {share:7.1%} {missed:6d} {bad:6d}")
    print(
        "\nfps: input frames / wall seconds (decode, detect, blur, encode) on this machine; "
        "speed-up: against deface default; CPU ms/f: CPU time per frame, all threads and "
        "child processes (steadier than fps when others use the machine); "
        "recall: ground-truth face-frames whose detail is gone; "
        "missed: face-frames still recognisable; frames: frames with any face recognisable."
    )
    print(f"load after the run: {os.getloadavg()[0]:.2f}; files in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
