"""Standby and the pre-record buffer (REC-1, REC-2)."""

from __future__ import annotations

import pytest

from kluis.camera.dock import DockClient

from .conftest import FPS, camera_public_key, decode, make_camera, open_recording, read_burnt_number

SCALE = 2  # the synthetic source's text scale at 160x120


def record_after_standby(storage, standby: float, pre_record: float, length: float = 3.0):
    camera = make_camera(storage, pre_record=pre_record)
    camera.run(until=standby, close=False)
    camera.press_record()
    camera.run(until=standby + length, close=False)
    camera.press_stop()
    camera.run(until=standby + length + 3, close=False)
    camera.close()
    assert len(camera.finished) == 1
    return camera, camera.finished[0]


@pytest.mark.rule("REC-1")
@pytest.mark.parametrize("pre_record", [30, 60])
def test_recording_begins_pre_record_seconds_before_the_press(storage, server, pre_record):
    standby = pre_record + 12.3
    camera, summary = record_after_standby(storage, standby, pre_record)
    (stored,) = storage.recordings()
    reader, mp4 = open_recording(stored.path, server, camera_public_key(storage))
    count, first_t, _last_t, first_image = decode(mp4)
    # The picture itself: the first frame's burnt-in counter is the frame captured
    # pre-record seconds before the press, to within one fragment (keyframe every second).
    first_frame = read_burnt_number(first_image, SCALE)
    wanted = (standby - pre_record) * FPS
    assert wanted - FPS <= first_frame <= wanted
    assert first_t == 0  # the recording's own timeline starts at zero
    # The metadata says the same.
    meta = reader.manifest.metadata
    assert meta["pre_record_seconds"] == pre_record
    assert pre_record <= meta["pre_recorded_seconds"] < pre_record + 1
    assert count == meta["video_frames"] == summary["video_frames"]


@pytest.mark.rule("REC-1")
@pytest.mark.parametrize("pre_record", [30, 60])
def test_buffer_length_follows_the_policy(storage, pre_record):
    camera = make_camera(storage, pre_record=pre_record)
    for until in (pre_record / 2, pre_record + 5.3, pre_record + 17.5):
        camera.run(until=until, close=False)
        held = camera.clock.monotonic() - camera.buffer.oldest_start
        if until < pre_record:
            assert held == pytest.approx(until, abs=0.1)  # everything since switch-on
        else:
            # At least the policy's seconds, and never a whole fragment (a second) more.
            assert pre_record <= held < pre_record + 1.0 + 1.0 / FPS
    camera.close()


@pytest.mark.rule("REC-1")
def test_a_running_camera_follows_a_new_policy_from_the_dock(storage, server):
    camera = make_camera(storage)  # no override: the policy fetched at the dock (30 s) applies
    assert camera.buffer.seconds == 30
    camera.run(until=35, close=False)
    server.pre_record_seconds = 60  # H2O's policy, fetched at the next dock
    DockClient(storage).status()
    camera.run(until=80, close=False)
    assert camera.buffer.seconds == 60
    held = camera.clock.monotonic() - camera.buffer.oldest_start
    assert held >= 60  # the buffer grows to the new length
    server.pre_record_seconds = 10
    DockClient(storage).status()
    camera.run(until=100, close=False)
    held = camera.clock.monotonic() - camera.buffer.oldest_start
    assert camera.buffer.seconds == 10 and 10 <= held < 11 + 1.0 / FPS
    camera.close()


@pytest.mark.rule("REC-1")
def test_press_soon_after_switch_on_starts_at_switch_on(storage):
    camera, summary = record_after_standby(storage, standby=4.0, pre_record=30)
    assert summary["pre_recorded_seconds"] == pytest.approx(4.0, abs=0.05)


@pytest.mark.rule("REC-2")
def test_standby_buffer_never_touches_the_disk(storage):
    before = sorted(p.name for p in storage.root.rglob("*"))
    camera = make_camera(storage, pre_record=30)
    camera.run(until=40, close=False)
    assert camera.buffer.nbytes > 0
    # A minute of standby wrote nothing: same files, no recordings.
    assert sorted(p.name for p in storage.root.rglob("*")) == before
    assert storage.recordings() == []
    camera.close()
    assert storage.recordings() == []  # switching off without recording leaves nothing either
