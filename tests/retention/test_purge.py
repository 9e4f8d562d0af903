"""The purge deletes due recordings exactly at their term, and deleted means gone (RET-1, RET-4)."""

from __future__ import annotations

import datetime as dt

import pytest

from kluis.core import clock
from kluis.custody.models import AuditEntry
from kluis.recordings.models import Recording
from kluis.retention.models import Deletion
from kluis.retention.purge import purge
from tests.retention.conftest import T0
from tests.retention.helpers import assert_gone, object_bytes, readable
from tests.world import build_world

PRESET_DAYS = {"den-haag": 31, "gemeente-001": 28, "dordrecht": 28, "h2o": 28, "alphen": 28}


@pytest.mark.rule("RET-1")
@pytest.mark.parametrize("preset", sorted(PRESET_DAYS))
def test_deleted_on_the_day_its_term_ends_not_a_day_earlier(db, frozen, stores, preset):
    world = build_world(preset)
    days = world.org.policy.retention_days
    assert days == PRESET_DAYS[preset]
    rec = world.record(T0 - dt.timedelta(minutes=5))
    assert rec.retention_until == rec.started_at + dt.timedelta(days=days)

    clock.advance(dt.timedelta(days=days - 1))
    assert purge().deleted == 0
    assert readable(rec)

    # One second before the term: still kept.
    clock.advance(rec.retention_until - clock.now() - dt.timedelta(seconds=1))
    assert purge().deleted == 0
    assert readable(rec)

    clock.advance(dt.timedelta(seconds=1))
    report = purge()
    assert report.deleted == 1 and report.ok
    assert_gone(rec)


@pytest.mark.rule("RET-4")
def test_after_purge_neither_storage_nor_a_backup_copy_can_be_decrypted(world):
    rec = world.record()
    backup = object_bytes(rec)  # a copy of the object store taken before the purge
    clock.advance(dt.timedelta(days=28))
    assert purge().deleted == 1
    assert_gone(rec, backup=backup)


@pytest.mark.rule("RET-4")
def test_a_database_backup_from_before_the_purge_holds_no_key(world):
    """The database never holds a data key, so object-store copy + database backup + the
    organisation's own key still cannot open the footage once the key store entry is gone."""
    import base64
    import io as _io

    from django.core.management import call_command

    from kluis.devices.keystore import get_keystore

    rec = world.record()
    secret = get_keystore().get(rec.data_key_name)
    dump = _io.StringIO()
    call_command("dumpdata", stdout=dump)  # the database backup
    backup_object = object_bytes(rec)
    for encoded in (secret.hex(), base64.b64encode(secret).decode(), repr(secret)):
        assert encoded not in dump.getvalue()
    clock.advance(dt.timedelta(days=28))
    assert purge().deleted == 1
    assert_gone(rec, backup=backup_object)


@pytest.mark.rule("RET-4", "AUD-1")
def test_deletion_is_audited_with_a_certificate(world):
    rec = world.record()
    clock.advance(dt.timedelta(days=29))
    purge()
    entry = AuditEntry.objects.get(action="recording.deleted", recording_id=str(rec.pk))
    import json

    cert = json.loads(entry.details_json)
    assert cert["recording_id"] == str(rec.pk)
    assert cert["sha256"] == rec.sha256
    assert cert["ciphertext_sha256"] == rec.ciphertext_sha256
    assert cert["key_store_entry"] == rec.data_key_name
    assert len(cert["key_fingerprint"]) == 32
    assert cert["object"] == rec.storage_key
    assert cert["grounds"] == "term"
    assert cert["verified"] == {"key_absent": True, "object_absent": True}
    assert cert["steps"]["key_destroyed_at"] <= cert["steps"]["verified_at"]
    deletion = Deletion.objects.get(pk=rec.pk)
    assert deletion.certificate == cert
    assert deletion.state == Deletion.State.DELETED


def test_purge_is_idempotent(world):
    recs = [world.record() for _ in range(3)]
    clock.advance(dt.timedelta(days=28))
    assert purge().deleted == 3
    again = purge()
    assert again.deleted == 0 and again.resumed == 0 and again.ok
    assert Recording.objects.filter(state=Recording.State.SHREDDED).count() == 3
    assert AuditEntry.objects.filter(action="recording.deleted").count() == 3
    for rec in recs:
        assert_gone(rec)


def test_dry_run_changes_nothing(world):
    rec = world.record()
    clock.advance(dt.timedelta(days=28))
    report = purge(dry_run=True)
    assert report.due == {world.org.slug: 1}
    assert readable(rec)
    assert not Deletion.objects.exists()
