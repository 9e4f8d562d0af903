"""The demo gets a recording to watch, made the way a camera's recording is made."""

from __future__ import annotations

import os

from django.core.management import call_command

from kluis.recordings.models import Recording
from kluis.recordings.playback import read_range


def test_demo_footage_for_the_demo_officer(db, stores, monkeypatch):
    footage = b"\x00\x00\x00\x18ftypisom" + os.urandom(50_000)
    monkeypatch.setattr("kluis.staff.demo.synthetic_mp4", lambda: footage)
    call_command("load_demo", "--quiet-passwords")
    call_command("load_demo_footage")
    recording = Recording.objects.get(officer__username="boa1")
    assert recording.team.name == "Toezicht en Handhaving"
    assert read_range(recording, 0, len(footage)) == footage
    call_command("load_demo_footage")  # a second run adds nothing
    assert Recording.objects.filter(officer__username="boa1").count() == 1


def test_synthetic_footage_is_a_fragmented_mp4():
    from kluis.staff.demo import synthetic_mp4

    data = synthetic_mp4(seconds=1, width=160, height=96)
    assert data[4:8] == b"ftyp"
    assert b"moof" in data
