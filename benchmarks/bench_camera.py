"""Camera CPU cost per minute of 1080p25 footage, split into encoding and sealing.

    python benchmarks/bench_camera.py                       # 10 s clip, ultrafast and veryfast
    python benchmarks/bench_camera.py --seconds 20 --presets veryfast --threads 1

Judges whether a small device can keep up: it must spend less than 60 CPU seconds per minute of
footage on the cores it has (and leave room for capture). Frames are produced before timing
starts; only the camera's own work is timed, with process CPU time (all threads):

- encoding: H.264 (libx264, tune zerolatency) + AAC + fragmented-MP4 muxing, in memory;
- sealing: rebasing each fragment and SealedWriter (AES-256-GCM, SHA-256, Ed25519 per chunk,
  fsync per chunk) into a file in a temporary directory.

The picture is a textured scene panning a few pixels per frame with mild sensor noise: harder
for the encoder than a test pattern, easier than a shaky street at night. Figures vary with
content and with the machine; compare presets within one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
import uuid

import av
import numpy as np

from kluis.camera.encoder import EncoderSettings, FragmentEncoder
from kluis.camera.recorder import CAMERA_CHUNK_SIZE, Recorder
from kluis.camera.sources import ToneAudio
from kluis.camera.storage import CameraStorage
from kluis.sealed import generate_organisation_keypair

WIDTH, HEIGHT, FPS = 1920, 1080, 25


def make_frames(seconds: float, seed: int = 1) -> list[av.VideoFrame]:
    """Pre-render the clip as yuv420p frames, so no rendering is timed."""
    rng = np.random.default_rng(seed)
    # A smooth texture larger than the frame: blocks of colour, blurred by upsampling.
    small = rng.integers(0, 255, (HEIGHT // 16 + 8, WIDTH // 16 + 8, 3), dtype=np.uint8)
    texture = np.kron(small, np.ones((16, 16, 1), dtype=np.uint8))
    texture[::7, :, :] //= 2  # some hard edges
    frames = []
    for i in range(int(seconds * FPS)):
        dy, dx = (i * 2) % 100, (i * 3) % 100
        image = texture[dy : dy + HEIGHT, dx : dx + WIDTH].astype(np.int16)
        image += rng.integers(-2, 3, image.shape, dtype=np.int16)
        frame = av.VideoFrame.from_ndarray(image.clip(0, 255).astype(np.uint8), format="rgb24")
        frames.append(frame.reformat(format="yuv420p"))
    return frames


def measure(frames, preset: str, threads: int, workdir: str, max_bitrate: int = 0) -> dict:
    """Encode and seal the clip once; return CPU seconds of each part and the output size."""
    settings = EncoderSettings(
        WIDTH, HEIGHT, FPS, preset=preset, threads=threads, max_bitrate=max_bitrate
    )
    encoder = FragmentEncoder(settings, ToneAudio(settings.sample_rate))
    storage = CameraStorage(workdir)
    storage.ensure()
    key = storage.create_key() if not storage.has_key() else storage.load_key()
    org = generate_organisation_keypair()
    identity = {
        "camera_id": str(uuid.uuid4()),
        "organisation_id": str(uuid.uuid4()),
        "organisation_public_key": org.public_key,
    }
    encode_cpu = seal_cpu = 0.0
    recorder = None
    sealed_bytes = 0

    def seal(fragments):
        nonlocal recorder, seal_cpu
        for frag in fragments:
            c0 = time.process_time()
            if recorder is None:
                recorder = Recorder(
                    storage,
                    identity,
                    key,
                    init_segment=encoder.init_segment,
                    tracks=encoder.tracks,
                    first=frag,
                    started_at=dt.datetime.now(dt.UTC),
                    pre_record_seconds=30,
                    metadata={"benchmark": True},
                    chunk_size=CAMERA_CHUNK_SIZE,
                )
            recorder.add(frag, encoder.video_frames(frag))
            seal_cpu += time.process_time() - c0

    for i, frame in enumerate(frames):
        frame.pts = None
        c0 = time.process_time()
        fragments = encoder.encode(frame, i / FPS)
        encode_cpu += time.process_time() - c0
        seal(fragments)
    c0 = time.process_time()
    fragments = encoder.close()
    encode_cpu += time.process_time() - c0
    seal(fragments)
    c0 = time.process_time()
    recorder.finish(dt.datetime.now(dt.UTC), {})
    seal_cpu += time.process_time() - c0
    sealed_bytes = recorder.path.stat().st_size
    recorder.path.unlink()
    return {"encode": encode_cpu, "seal": seal_cpu, "bytes": sealed_bytes}


def main(argv=None) -> int:
    """Run the benchmark and print one line per preset."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length to measure")
    parser.add_argument("--presets", default="ultrafast,veryfast")
    parser.add_argument("--threads", type=int, default=1, help="encoder threads (1: one core)")
    parser.add_argument("--max-bitrate", type=int, default=0, help="video bits/s cap (0: none)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    frames = make_frames(args.seconds)
    print(
        f"clip: {len(frames)} frames of {WIDTH}x{HEIGHT} at {FPS} fps ({args.seconds:g} s), "
        f"rendered in {time.perf_counter() - t0:.1f} s (not counted); "
        f"encoder threads {args.threads}; chunk {CAMERA_CHUNK_SIZE // 1024} KiB; "
        f"bitrate cap {args.max_bitrate or 'none'}"
    )
    scale = 60.0 / args.seconds
    print(
        f"{'preset':<10} {'encode s/min':>13} {'seal s/min':>11} {'total s/min':>12} "
        f"{'MB/min':>8} {'Mbit/s':>7}"
    )
    workdir = tempfile.mkdtemp(prefix="kluis-bench-camera-")
    try:
        for preset in args.presets.split(","):
            r = measure(frames, preset, args.threads, workdir, args.max_bitrate)
            mb_min = r["bytes"] * scale / 1e6
            print(
                f"{preset:<10} {r['encode'] * scale:>13.1f} {r['seal'] * scale:>11.2f} "
                f"{(r['encode'] + r['seal']) * scale:>12.1f} {mb_min:>8.1f} "
                f"{mb_min * 8 / 60:>7.2f}"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("CPU seconds per minute of footage; under 60 per core used means real time.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
