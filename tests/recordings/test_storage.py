"""Footage stores and keys: one interface for both backends, STO-2, crypto-shredding (RET-4)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from kluis.core.problems import KluisError, NotAllowed
from kluis.devices.keystore import KeyMissing, KeyStoreError, LocalKeyStore, get_keystore
from kluis.organisations.models import Role
from kluis.recordings import actions
from kluis.recordings.models import Recording, StorageLocation
from kluis.recordings.playback import FootageGone, read_range
from kluis.recordings.storage import get_storage


@pytest.mark.rule("STO-1")
def test_both_stores_put_atomically_and_read_ranges(footage_store, settings, tmp_path):
    store = get_storage(settings.STORAGE_URL)
    src = tmp_path / "object"
    payload = os.urandom(3 * 1024 * 1024 + 17)
    src.write_bytes(payload)
    key = "org/2026/11/one.kluis"
    assert not store.exists(key)
    store.put_file(key, src, retain_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert src.exists()  # the caller's file is kept; it decides when to remove it
    assert store.exists(key) and store.size(key) == len(payload)
    with store.open(key) as fh:
        fh.seek(1_000_000)
        assert fh.read(10) == payload[1_000_000:1_000_010]
        fh.seek(-5, 2)
        assert fh.read() == payload[-5:]
    store.put_file(key, src)  # storing again (a retry) is harmless
    assert store.size(key) == len(payload)


def test_s3_objects_get_object_lock_retention(seaweed, settings, tmp_path):
    settings.STORAGE_URL = seaweed.url(seaweed.bucket(object_lock=True))
    store = get_storage(settings.STORAGE_URL)
    assert store.object_lock
    src = tmp_path / "o"
    src.write_bytes(b"sealed bytes")
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=28)
    store.put_file("k.kluis", src, retain_until=until)
    head = store.client.head_object(Bucket=store.bucket, Key=store._key("k.kluis"))
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert abs((head["ObjectLockRetainUntilDate"] - until).total_seconds()) < 2
    store.set_legal_hold("k.kluis", True)
    head = store.client.head_object(Bucket=store.bucket, Key=store._key("k.kluis"))
    assert head["ObjectLockLegalHoldStatus"] == "ON"
    plain = get_storage(seaweed.url(seaweed.bucket(object_lock=False)))
    assert not plain.object_lock


@pytest.mark.rule("STO-2")
def test_external_store_needs_a_signed_processing_agreement(make_org, make_person, seaweed):
    org = make_org()
    admin = make_person(org, Role.FUNCTIONAL_ADMIN)
    officer = make_person(org, Role.OFFICER)
    url = seaweed.url(seaweed.bucket(object_lock=False))
    with pytest.raises(KluisError) as refused:
        actions.enable_storage_location(org, url=url, external=True, actor=admin)
    assert refused.value.code == "processing-agreement-missing"
    unsigned_terms = actions.record_processing_agreement(
        org,
        processor="Cloud BV",
        reference="VWO-1",
        signed_on=dt.date(2026, 1, 1),
        security_terms_signed=False,
        actor=admin,
    )
    with pytest.raises(KluisError):
        actions.enable_storage_location(
            org, url=url, external=True, agreement=unsigned_terms, actor=admin
        )
    other_org_agreement = actions.record_processing_agreement(
        make_org(),
        processor="Cloud BV",
        reference="VWO-2",
        signed_on=dt.date(2026, 1, 1),
        security_terms_signed=True,
    )
    with pytest.raises(KluisError):
        actions.enable_storage_location(
            org, url=url, external=True, agreement=other_org_agreement, actor=admin
        )
    with pytest.raises(NotAllowed):
        actions.record_processing_agreement(
            org,
            processor="X",
            reference="Y",
            signed_on=dt.date(2026, 1, 1),
            security_terms_signed=True,
            actor=officer,
        )
    signed = actions.record_processing_agreement(
        org,
        processor="Cloud BV",
        reference="VWO-3",
        signed_on=dt.date(2026, 1, 1),
        security_terms_signed=True,
        actor=admin,
    )
    location = actions.enable_storage_location(
        org, url=url, external=True, agreement=signed, actor=admin
    )
    assert location.external and location.agreement == signed
    # The database refuses an external location without agreement even past the action.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        StorageLocation.objects.filter(pk=location.pk).update(agreement=None)


@pytest.mark.rule("STO-2", "STO-1")
def test_recordings_go_to_the_organisations_enabled_store(enrol, seaweed, settings, tmp_path):
    settings.STORAGE_URL = f"file://{tmp_path / 'default'}"
    settings.UPLOAD_DIR = tmp_path / "incoming"
    off, camera, org = enrol()
    url = seaweed.url(seaweed.bucket(object_lock=True))
    agreement = actions.record_processing_agreement(
        org,
        processor="Cloud BV",
        reference="VWO",
        signed_on=dt.date(2026, 1, 1),
        security_terms_signed=True,
    )
    actions.enable_storage_location(org, url=url, external=True, agreement=agreement)
    rid, data = camera.seal(b"footage " * 10_000)
    assert off.upload(rid, data)[1]["state"] == "complete"
    rec = Recording.objects.get(pk=rid)
    assert rec.storage_url == url and get_storage(url).exists(rec.storage_key)
    assert not (tmp_path / "default").exists()


@pytest.mark.rule("RET-4")
def test_destroying_the_recording_key_shreds_the_footage(enrol, footage_store):
    off, camera, _org = enrol()
    footage = b"evidence " * 20_000
    rid, data = camera.seal(footage)
    assert off.upload(rid, data)[1]["state"] == "complete"
    rec = Recording.objects.get(pk=rid)
    assert read_range(rec, 0, 9) == b"evidence "
    # The stored copy no longer carries the organisation-wrapped key: the organisation key
    # alone cannot open it.
    from kluis import sealed
    from kluis.devices.keys import organisation_private_key

    with (
        get_storage(rec.storage_url).open(rec.storage_key) as fh,
        pytest.raises(sealed.KeyRemovedError),
    ):
        sealed.open_sealed(fh, organisation_private_key(rec.organisation), camera.public_key)
    assert get_keystore().destroy(rec.data_key_name)
    with pytest.raises(FootageGone):
        read_range(rec, 0, 9)


def test_key_store_wraps_keys_under_the_master_key(tmp_path):
    store = LocalKeyStore(tmp_path, os.urandom(32))
    store.put("org/a/x25519", b"k" * 32)
    store.put("org/a/x25519", b"k" * 32)  # same value again: fine
    with pytest.raises(KeyStoreError):
        store.put("org/a/x25519", b"j" * 32)
    assert b"k" * 32 not in (tmp_path / "org/a/x25519.key").read_bytes()
    with pytest.raises(KeyStoreError):
        LocalKeyStore(tmp_path, os.urandom(32)).get("org/a/x25519")
    assert store.destroy("org/a/x25519") and not store.destroy("org/a/x25519")
    with pytest.raises(KeyMissing):
        store.get("org/a/x25519")
    with pytest.raises(KeyStoreError):
        store.put("../escape", b"x")


@pytest.mark.rule("STO-3")
def test_playback_decrypts_in_memory_only(enrol, footage_store, settings, tmp_path):
    from pathlib import Path

    off, camera, _org = enrol()
    footage = b"only-in-memory " * 30_000
    rid, data = camera.seal(footage)
    assert off.upload(rid, data)[1]["state"] == "complete"
    rec = Recording.objects.get(pk=rid)
    places = [Path(settings.DATA_DIR), tmp_path]

    def snapshot():
        found = set()
        for place in places:
            for p in place.rglob("*"):
                try:
                    if p.is_file():
                        found.add((p, p.stat().st_size))
                except OSError:
                    pass
        return found

    before = snapshot()
    assert read_range(rec, 1000, 200_000) == footage[1000:200_000]
    new = {p for p, _ in snapshot() - before}
    leaked = [p for p in new if b"only-in-memory" in p.read_bytes()[:10_000_000]]
    assert leaked == []
