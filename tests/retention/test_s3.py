"""The purge on a real S3 store (SeaweedFS) with Object Lock: holds become legal holds, early
deletion bypasses governance retention, and no version of the object is left (RET-4)."""

from __future__ import annotations

import datetime as dt

import pytest

from kluis.core import clock
from kluis.recordings.storage import get_storage
from kluis.retention import actions
from kluis.retention.purge import object_gone, purge
from tests.retention.helpers import assert_gone, object_bytes, readable

pytestmark = pytest.mark.slow


@pytest.fixture
def s3_world(seaweed, settings, make_world):
    world = make_world()
    bucket = seaweed.bucket(object_lock=True)
    settings.STORAGE_URL = seaweed.url(bucket)
    return world, seaweed, bucket


def legal_hold(seaweed, bucket, rec) -> str:
    store = get_storage(rec.storage_url)
    answer = seaweed.client.get_object_legal_hold(Bucket=bucket, Key=store._key(rec.storage_key))
    return answer["LegalHold"]["Status"]


def versions(seaweed, bucket, rec) -> list:
    store = get_storage(rec.storage_url)
    key = store._key(rec.storage_key)
    listing = seaweed.client.list_object_versions(Bucket=bucket, Prefix=key)
    return [v for v in listing.get("Versions", []) if v["Key"] == key]


@pytest.mark.rule("RET-2", "RET-4")
def test_holds_are_legal_holds_and_early_deletion_bypasses_governance(
    s3_world, django_capture_on_commit_callbacks
):
    world, seaweed, bucket = s3_world
    rec = world.record()
    assert readable(rec)
    assert get_storage(rec.storage_url).object_lock
    backup = object_bytes(rec)

    with django_capture_on_commit_callbacks(execute=True):
        hold = actions.place_hold(rec, reason="complaint", case_reference="K", actor=world.manager)
    assert legal_hold(seaweed, bucket, rec) == "ON"
    with django_capture_on_commit_callbacks(execute=True):
        actions.release_hold(hold, actor=world.manager)
    assert legal_hold(seaweed, bucket, rec) == "OFF"

    # Early, joint deletion: the object's governance retention date has not passed.
    decision = actions.propose_decision(rec, kind="delete", reason="r", actor=world.officer)
    actions.approve_decision(decision, actor=world.manager)
    report = purge()
    assert report.ok, report.failed
    assert report.deleted == 1
    assert versions(seaweed, bucket, rec) == []
    assert object_gone(get_storage(rec.storage_url), rec.storage_key)
    assert_gone(rec, backup=backup)


@pytest.mark.rule("RET-1", "RET-4")
def test_expired_recordings_leave_no_version_behind(s3_world):
    world, seaweed, bucket = s3_world
    recs = [world.record() for _ in range(2)]
    clock.advance(dt.timedelta(days=28))
    assert purge().deleted == 2
    for rec in recs:
        assert versions(seaweed, bucket, rec) == []
        assert_gone(rec)
