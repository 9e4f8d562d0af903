"""Cameras that misbehave (a reset clock, a truncated copy) lose no evidence."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os

import pytest

from kluis.core.clock import now
from kluis.custody.events import AuditEvent
from kluis.custody.models import AuditEntry
from kluis.recordings.models import Recording, Upload
from kluis.recordings.playback import read_range
from kluis.retention.purge import purge

FOOTAGE = os.urandom(400_000)


@pytest.mark.rule("RET-1")
def test_a_recording_from_a_camera_whose_clock_reset_to_2001_is_not_shredded_by_the_next_purge(
    enrol, footage_store
):
    off, camera, org = enrol()
    reset = dt.datetime(2001, 1, 1, 0, 0, tzinfo=dt.UTC)
    rid, data = camera.seal(FOOTAGE[:50_000], started_at=reset)
    from kluis.core import clock

    docked = clock.now()
    status, answer = off.upload(rid, data)
    assert status == 200 and answer["state"] == "complete", answer
    rec = Recording.objects.get(pk=rid)
    assert rec.clock_implausible and rec.clock_note == "before enrolment"
    # Counted from the ingest time: the true start was before the dock, so the term is never
    # earlier than a correct clock would make it. (stored_at comes after a slow S3 store.)
    assert rec.retention_until >= docked + dt.timedelta(days=org.policy.retention_days)
    entry = AuditEntry.objects.get(action=AuditEvent.RECORDING_CLOCK_IMPLAUSIBLE)
    assert entry.recording_id == rid and json.loads(entry.details_json)["why"] == "before enrolment"

    report = purge()
    assert report.deleted == 0
    rec.refresh_from_db()
    assert rec.state == Recording.State.STORED
    assert read_range(rec, 0, 100) == FOOTAGE[:100]


@pytest.mark.rule("RET-1")
def test_a_start_in_the_future_or_long_before_the_last_dock_is_flagged(enrol, footage_store):
    off, camera, _org = enrol()
    rid, data = camera.seal(FOOTAGE[:20_000], started_at=now() + dt.timedelta(days=2))
    assert off.upload(rid, data)[1]["state"] == "complete"
    assert Recording.objects.get(pk=rid).clock_note == "in the future"
    Upload.objects.filter(pk=rid).update(created_at=now() - dt.timedelta(hours=1))
    rid2, data2 = camera.seal(FOOTAGE[:20_000], started_at=now() - dt.timedelta(hours=2))
    assert off.upload(rid2, data2)[1]["state"] == "complete"
    assert not Recording.objects.get(pk=rid2).clock_implausible


@pytest.mark.rule("CAM-2")
def test_a_truncated_copy_does_not_block_the_full_recording(enrol, footage_store):
    off, camera, _org = enrol()
    rid, full = camera.seal(FOOTAGE)
    cut = full[: len(full) * 60 // 100]
    status, answer = off.upload(rid, cut)
    assert status == 200 and answer["state"] == "complete", answer
    camera.check_receipt(answer["receipt"], recording_id=rid, data=cut)
    short = Recording.objects.get(pk=rid)
    assert not short.complete

    status, answer = off.upload(rid, full)
    assert status == 200 and answer["state"] == "complete", answer
    camera.check_receipt(answer["receipt"], recording_id=rid, data=full)
    rec = Recording.objects.get(pk=rid)
    assert rec.complete and rec.sha256 == hashlib.sha256(full).hexdigest()
    assert rec.chunk_count > short.chunk_count and rec.retention_until >= short.retention_until
    assert read_range(rec, 0, len(FOOTAGE)) == FOOTAGE
    replaced = AuditEntry.objects.get(action=AuditEvent.RECORDING_REPLACED)
    assert json.loads(replaced.details_json)["replaced"]["sha256"] == short.sha256

    # A shorter or foreign file still cannot replace the stored one.
    status, answer = off.announce(rid, cut)
    assert status == 409 and answer["code"] == "upload-mismatch"


@pytest.mark.rule("CAM-2")
def test_a_longer_file_that_is_not_the_same_recording_leaves_the_stored_copy(enrol, footage_store):
    off, camera, _org = enrol()
    rid, full = camera.seal(FOOTAGE)
    cut = full[: len(full) * 60 // 100]
    assert off.upload(rid, cut)[1]["state"] == "complete"
    _rid, other = camera.seal(os.urandom(len(FOOTAGE)), recording_id=rid)
    status, answer = off.upload(rid, other)
    assert status == 422 and answer["code"] == "recording-not-a-continuation", answer
    rec = Recording.objects.get(pk=rid)
    assert rec.sha256 == hashlib.sha256(cut).hexdigest()
    assert read_range(rec, 0, 100) == FOOTAGE[:100]  # its key survived the refusal
    status, again = off.announce(rid, cut)
    assert status == 200 and again["state"] == "complete"
