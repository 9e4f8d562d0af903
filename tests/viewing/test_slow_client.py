"""Playback under a slow client, against the real `kluis serve` (STO-3, ACC-4).

Found in review: with a slow client and pipelined Range requests, waitress buffered the
decrypted answers beyond its `outbuf_overflow` in unlinked files in /tmp (plaintext footage on
disk), and an open connection kept delivering megabytes of footage after a breach stopped the
session. Both are replayed here with a raw socket that pipelines Range requests and then reads
slowly, while the server process's open files are watched.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.viewing.served import PipelinedClient, ServedWorld, open_files_holding

MB = 1024 * 1024
RANGE = 2 * MB  # VIEWING_MAX_RANGE_BYTES, the default of `kluis serve`
FOOTAGE_SIZE = 12 * MB
#: The requirement is one second; the rest is slack for a loaded two-core machine.
STOP_WITHIN = 1.0 + 1.5

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    world = ServedWorld(tmp_path_factory.mktemp("served"), os.urandom(FOOTAGE_SIZE))
    yield world
    world.stop()


def pipelined(served, cookie, session_id, count=6):
    client = PipelinedClient(served.port)
    client.send(
        f"/viewing/{session_id}/stream",
        cookie,
        [(i * RANGE, None) for i in range(count)],
    )
    return client


def samples_of(footage: bytes) -> list[bytes]:
    """Pieces that only the plaintext contains (the footage is random bytes)."""
    return [footage[at : at + 32] for at in range(0, len(footage), 128 * 1024)]


@pytest.mark.rule("STO-3")
def test_a_slow_client_with_pipelined_ranges_leaves_no_decrypted_footage_on_disk(served):
    session_id, cookie = served.open_session()
    client = pipelined(served, cookie, session_id)
    samples = samples_of(served.footage)
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            client.read(8 * 1024)  # about 160 KiB/s: far slower than the server decrypts
            time.sleep(0.05)
            assert not open_files_holding(served.pid, samples, served.tmpdir)
        assert client.statuses[:1] == [206]
        assert client.footage == served.footage[: len(client.footage)]
    finally:
        client.close()
    assert not open_files_holding(served.pid, samples, served.tmpdir)


@pytest.mark.rule("ACC-4")
def test_a_breach_stops_bytes_on_an_open_connection_within_one_second(served):
    session_id, cookie = served.open_session()
    client = pipelined(served, cookie, session_id)
    stop = threading.Event()

    def read_slowly():
        while not stop.is_set() and client.ended is None:
            client.read(8 * 1024)
            time.sleep(0.05)

    reader = threading.Thread(target=read_slowly)
    reader.start()
    try:
        time.sleep(1.0)
        assert client.statuses[:1] == [206]
        breached_at = served.report_breach(session_id)
        # Read on at the same slow pace for long enough to see any bytes that still come.
        time.sleep(STOP_WITHIN + 3)
    finally:
        stop.set()
        reader.join(timeout=30)
        client.close()
    assert client.footage_after(breached_at + STOP_WITHIN) == 0, "footage after the breach"
    assert client.ended is not None and client.ended < breached_at + STOP_WITHIN
    assert client.footage == served.footage[: len(client.footage)]
