"""Playback throughput for one client beside the sealed reader's own open-range speed.

    python benchmarks/bench_playback.py --size-mb 128

Measured in one run on one machine (machines are shared and noisy, so only the ratio in the
same run means anything):

- reader: `kluis.recordings.playback.open_recording` on the stored recording and `iter_range`
  over all of it, in a `kluis manage shell` of the server's own data directory (decryption and
  authentication in memory, no HTTP);
- stream: the real `kluis serve` in a subprocess; one client on one keep-alive connection asks
  for the whole recording in Range requests one after the other (each answer at most
  VIEWING_MAX_RANGE_BYTES) and reads as fast as it can.

Set PYTHONPATH to another checkout's src/ to measure that code's server instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kluis.conf.test")

from tests.viewing.served import PipelinedClient, ServedWorld, _shell  # noqa: E402

MB = 1024 * 1024
RANGE = 2 * MB  # the default VIEWING_MAX_RANGE_BYTES of `kluis serve`

_READER = """
import time
from kluis.recordings.models import Recording
from kluis.recordings.playback import open_recording
best = None
for _ in range({runs}):
    with open_recording(Recording.objects.get(pk={rid!r})) as reader:
        t = time.perf_counter()
        n = sum(len(piece) for piece in reader.iter_range(0, reader.size))
        took = time.perf_counter() - t
    best = took if best is None else min(best, took)
print(n / best / 1e6)
"""


def stream_once(world, cookie, session_id, size) -> float:
    client = PipelinedClient(world.port, rcvbuf=None, timeout=60)
    path = f"/viewing/{session_id}/stream"
    t = time.perf_counter()
    for start in range(0, size, RANGE):
        client.send(path, cookie, [(start, None)])
        want = min(start + RANGE, size)
        while len(client.footage) < want:
            assert client.read(1024 * 1024), "the server closed the connection"
    took = time.perf_counter() - t
    client.close()
    assert client.footage == world.footage
    return size / took / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=128)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    size = args.size_mb * MB
    with tempfile.TemporaryDirectory(prefix="kluis-bench-playback-") as root:
        world = ServedWorld(Path(root), os.urandom(size))
        try:
            reader = float(
                _shell(world.env, _READER.format(rid=world.recording_id, runs=args.runs))
            )
            session_id, cookie = world.open_session()
            streams = sorted(stream_once(world, cookie, session_id, size) for _ in range(args.runs))
        finally:
            world.stop()
    print(f"recording: {args.size_mb} MiB, Range answers of {RANGE // MB} MiB, {args.runs} runs")
    print(f"reader (open_recording + iter_range, in memory): {reader:8.0f} MB/s (best)")
    print(
        f"stream (kluis serve, one client):                {streams[-1]:8.0f} MB/s (best), "
        f"median {streams[len(streams) // 2]:.0f} MB/s"
    )
    print(f"stream / reader: {streams[-1] / reader:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
