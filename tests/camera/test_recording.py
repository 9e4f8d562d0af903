"""Recording on the camera: stop, metadata, warning, colleagues, emergency (REC-3..REC-5, LIV-1)."""

from __future__ import annotations

import argparse
import datetime as dt
import errno

import pytest

from kluis.camera.camera import Camera, CameraError
from kluis.camera.cli import _fill
from kluis.camera.storage import CameraStorage

from .conftest import (
    FPS,
    OFFICER_ID,
    OFFICER_NAME,
    START,
    camera_public_key,
    decode,
    make_camera,
    open_recording,
)


def at(seconds: float) -> str:
    return (START + dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


@pytest.mark.rule("REC-3")
def test_stop_ends_the_recording_and_metadata_says_who_when_and_how_long(storage, server):
    camera = make_camera(storage, pre_record=5)
    camera.run(until=12, close=False)
    camera.press_record()
    camera.run(until=20, close=False)
    camera.press_stop()
    camera.run(until=30, close=False)  # standby goes on after the stop
    assert camera.status()["state"] == "standby"
    camera.close()
    (rec,) = storage.recordings()
    reader, mp4 = open_recording(rec.path, server, camera_public_key(storage))
    meta = reader.manifest.metadata
    state = storage.read_state()
    assert meta["officer"] == {"officer_id": OFFICER_ID, "officer_name": OFFICER_NAME}
    assert meta["camera_id"] == state["camera_id"] == reader.manifest.camera_id
    assert meta["camera_serial"] == "KL-TEST-1"
    assert meta["record_pressed_at"] == at(12) and meta["stop_pressed_at"] == at(20)
    assert meta["pre_record_seconds"] == 5 and meta["place"] is None
    assert meta["stop_reason"] == "button"
    # Starts 5 s before the press, to within a fragment; ends at the first keyframe at or after
    # the stop press, so the moment of stopping is always in it.
    started = dt.datetime.fromisoformat(reader.manifest.started_at.isoformat())
    stopped = reader.manifest.stopped_at
    assert START + dt.timedelta(seconds=6) <= started <= START + dt.timedelta(seconds=7)
    assert START + dt.timedelta(seconds=20) <= stopped <= START + dt.timedelta(seconds=21)
    count, first_t, last_t, _ = decode(mp4)
    assert count == meta["video_frames"]
    assert last_t - first_t + 1 / FPS == pytest.approx((stopped - started).total_seconds())


@pytest.mark.rule("REC-4", "REC-5")
def test_warning_and_colleague_flags_travel_with_the_recording(storage, server):
    camera = make_camera(storage, pre_record=2)
    camera.run(until=3, close=False)
    camera.set_warning("after")  # no time to warn first: the warning followed (H2O 2.4)
    camera.press_record()
    camera.run(until=5, close=False)
    camera.set_colleagues(True)  # a colleague stepped into view during the recording
    camera.press_stop()
    camera.run(until=8, close=False)
    # The next recording starts unflagged.
    camera.press_record()
    camera.run(until=10, close=False)
    camera.close()
    metas = []
    for rec in storage.recordings():
        reader, _ = open_recording(rec.path, server, camera_public_key(storage))
        metas.append(reader.manifest.metadata)
    metas.sort(key=lambda m: m["record_pressed_at"])
    assert (metas[0]["warning"], metas[0]["colleagues_present"]) == ("after", True)
    assert (metas[1]["warning"], metas[1]["colleagues_present"]) == (None, False)
    assert metas[1]["stop_reason"] == "camera switched off"
    with pytest.raises(CameraError):
        camera.set_warning("maybe")


@pytest.mark.rule("LIV-1")
def test_emergency_button_records_and_tells_the_livestream(storage, server):
    camera = make_camera(storage, pre_record=2)
    seen, fragments = [], []
    camera.emergency_listeners.append(lambda cam: seen.append(cam.status()["state"]))
    camera.fragment_listeners.append(fragments.append)
    camera.run(until=3, close=False)
    camera.press_emergency()
    camera.run(until=6, close=False)
    camera.close()
    assert seen == ["recording"] and fragments  # the stream hook got live fragments
    (rec,) = storage.recordings()
    reader, _ = open_recording(rec.path, server, camera_public_key(storage))
    assert reader.manifest.metadata["emergency"] is True


@pytest.mark.rule("REC-1")
def test_record_pressed_twice_keeps_one_recording(storage):
    camera = make_camera(storage, pre_record=2)
    camera.run(until=3, close=False)
    camera.press_record()
    camera.run(until=4, close=False)
    camera.press_record()
    camera.run(until=6, close=False)
    camera.close()
    assert len(storage.recordings()) == 1


@pytest.mark.rule("CAM-1")
def test_an_unenrolled_camera_refuses_to_record(tmp_path):
    camera = make_camera(CameraStorage(tmp_path / "new"), pre_record=2)
    camera.run(until=1, close=False)
    with pytest.raises(CameraError, match="not enrolled"):
        camera.press_record()
    camera.close()


@pytest.mark.rule("CAM-1")
def test_the_camera_has_no_command_to_play_or_delete():
    parser = argparse.ArgumentParser()
    _fill(parser)
    (commands,) = [a.choices for a in parser._actions if isinstance(a.choices, dict)]
    assert sorted(commands) == ["dock", "enrol", "run", "status"]
    names = [n for n in dir(Camera) if not n.startswith("_")]
    assert not [n for n in names if any(w in n for w in ("play", "delete", "erase", "open"))]


@pytest.mark.rule("CAM-1")
def test_a_full_card_ends_the_recording_but_not_the_camera(storage, server):
    camera = make_camera(storage, pre_record=2, chunk_size=4096)
    real_create = storage.create_recording_file
    budget = {"bytes": 20_000}

    class FillingFile:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            budget["bytes"] -= len(data)
            if budget["bytes"] < 0:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

    storage.create_recording_file = lambda rid: FillingFile(real_create(rid))
    camera.run(until=3, close=False)
    camera.press_record()
    camera.run(until=12, close=False)
    status = camera.status()
    assert status["state"] == "standby" and "No space" in status["last_error"]
    budget["bytes"] = 10**9  # the officer docks, space is freed
    camera.press_record()
    camera.run(until=15, close=False)
    camera.close()
    assert len(camera.finished) == 1 and len(storage.recordings()) == 2
    for rec in storage.recordings():  # the cut-off one still opens up to its last chunk
        reader, _ = open_recording(rec.path, server, camera_public_key(storage))
        assert reader.complete == (rec.recording_id == camera.finished[0]["recording_id"])


@pytest.mark.rule("REC-3")
def test_a_recording_outside_the_assigned_shift_names_no_officer(storage, server):
    def shift(state):
        state["assignment"].update(
            shift_start="2026-11-28T07:00:00Z", shift_end="2026-11-28T15:00:00Z"
        )

    storage.update_state(shift)  # yesterday's shift; the camera was not docked since
    camera = make_camera(storage, pre_record=2)
    camera.run(until=3, close=False)
    camera.press_record()
    camera.run(until=5, close=False)
    camera.close()
    (rec,) = storage.recordings()
    reader, _ = open_recording(rec.path, server, camera_public_key(storage))
    assert reader.manifest.metadata["officer"] is None
