"""A purge killed at any step and run again finishes the job, and at no moment does the
database say "deleted" while the footage can still be read (RET-4)."""

from __future__ import annotations

import datetime as dt

import pytest

from kluis.core import clock
from kluis.custody.models import AuditEntry
from kluis.devices.keystore import get_keystore
from kluis.recordings.models import Recording
from kluis.recordings.storage import get_storage
from kluis.retention import purge as purge_module
from kluis.retention.models import Deletion
from kluis.retention.purge import purge
from tests.retention.helpers import assert_gone

POINTS = [
    "claimed",
    "keys_destroyed",
    "keys_persisted",
    "objects_deleted",
    "objects_persisted",
    "verified",
]


class Killed(BaseException):
    """Like SIGKILL for the purge: not an Exception, so nothing in the purge catches it."""


def kill_at(point):
    def checkpoint(where, ids):
        if where == point:
            raise Killed(where)

    return checkpoint


def consistent(recordings) -> None:
    """The invariant: "deleted" in the database implies key and object gone; a recording whose
    key is gone is past the point of no return (has a Deletion)."""
    for rec in recordings:
        rec = Recording.objects.get(pk=rec.pk)
        key = get_keystore().exists(rec.data_key_name)
        obj = get_storage(rec.storage_url).exists(rec.storage_key)
        deletion = Deletion.objects.filter(pk=rec.pk).first()
        if rec.state == Recording.State.SHREDDED or (deletion and deletion.state == "deleted"):
            assert not key and not obj, "the database says deleted but footage remains"
            assert rec.state == Recording.State.SHREDDED and deletion.state == "deleted"
        if not key:
            assert deletion is not None, "a key was destroyed outside the purge's bookkeeping"
        if deletion is None:
            assert key and obj


@pytest.mark.rule("RET-4")
@pytest.mark.parametrize("point", POINTS)
def test_a_purge_killed_at_each_step_is_finished_by_the_next(world, monkeypatch, point):
    recs = [world.record() for _ in range(3)]
    clock.advance(dt.timedelta(days=28))

    monkeypatch.setattr(purge_module, "checkpoint", kill_at(point))
    with pytest.raises(Killed):
        purge()
    consistent(recs)

    monkeypatch.setattr(purge_module, "checkpoint", lambda where, ids: None)
    report = purge()
    assert report.ok
    assert report.deleted + report.resumed == 3
    consistent(recs)
    for rec in recs:
        assert_gone(rec)
    # One certificate per recording, however often the purge ran.
    assert AuditEntry.objects.filter(action="recording.deleted").count() == 3


@pytest.mark.rule("RET-4")
def test_killed_twice_in_a_row_still_finishes(world, monkeypatch):
    recs = [world.record() for _ in range(2)]
    clock.advance(dt.timedelta(days=28))
    for point in ("keys_destroyed", "objects_deleted"):
        monkeypatch.setattr(purge_module, "checkpoint", kill_at(point))
        with pytest.raises(Killed):
            purge()
        consistent(recs)
    monkeypatch.setattr(purge_module, "checkpoint", lambda where, ids: None)
    assert purge().resumed == 2
    for rec in recs:
        assert_gone(rec)


@pytest.mark.rule("RET-4")
def test_a_failing_store_leaves_the_recording_shredded_and_retries(world, monkeypatch):
    recs = [world.record() for _ in range(2)]
    clock.advance(dt.timedelta(days=28))
    real_delete = purge_module.delete_object
    broken = str(recs[0].storage_key)

    def flaky(storage, key):
        if key == broken:
            raise OSError("store unavailable")
        real_delete(storage, key)

    monkeypatch.setattr(purge_module, "delete_object", flaky)
    report = purge()
    assert not report.ok and str(recs[0].pk) in report.failed
    assert report.deleted == 1
    consistent(recs)
    # The key is already gone: what is left in the store cannot be decrypted.
    assert not get_keystore().exists(recs[0].data_key_name)
    assert Deletion.objects.get(pk=recs[0].pk).state == "key_destroyed"

    monkeypatch.setattr(purge_module, "delete_object", real_delete)
    assert purge().resumed == 1
    for rec in recs:
        assert_gone(rec)


@pytest.mark.rule("RET-4")
def test_a_failure_while_writing_the_certificates_rolls_back_together(world, monkeypatch):
    recs = [world.record() for _ in range(3)]
    clock.advance(dt.timedelta(days=28))
    # The certificates are written by the purge-progress actions: patch `record` where they use it.
    from kluis.retention.actions import purge_progress as actions

    real_record = actions.record
    calls = []

    def record_then_die(**kwargs):
        calls.append(kwargs["action"])
        if kwargs["action"] == "recording.deleted" and calls.count("recording.deleted") == 2:
            raise Killed("power cut mid-transaction")
        return real_record(**kwargs)

    monkeypatch.setattr(actions, "record", record_then_die)
    with pytest.raises(Killed):
        purge()
    consistent(recs)
    assert not AuditEntry.objects.filter(action="recording.deleted").exists()
    monkeypatch.setattr(actions, "record", real_record)
    assert purge().resumed == 3
    for rec in recs:
        assert_gone(rec)


@pytest.mark.sqlite_only  # a PostgreSQL advisory lock is re-entrant within one connection
def test_a_second_purge_at_the_same_time_does_nothing(world):
    world.record()
    clock.advance(dt.timedelta(days=28))
    with purge_module.exclusive() as got:
        assert got
        report = purge()
    assert report.skipped and report.deleted == 0
    assert purge().deleted == 1


@pytest.mark.rule("RET-4")
def test_a_key_that_came_back_after_a_power_cut_is_destroyed_again(world, monkeypatch):
    """The disk lost the unlink of a key (no fsync before the power cut): the verification step
    finds the key again and destroys it instead of certifying a deletion that did not happen."""
    rec = world.record()
    secret = get_keystore().get(rec.data_key_name)
    clock.advance(dt.timedelta(days=28))
    monkeypatch.setattr(purge_module, "checkpoint", kill_at("objects_persisted"))
    with pytest.raises(Killed):
        purge()
    get_keystore().put(rec.data_key_name, secret)  # the file is back after the reboot
    monkeypatch.setattr(purge_module, "checkpoint", lambda where, ids: None)
    assert purge().resumed == 1
    assert_gone(rec)
