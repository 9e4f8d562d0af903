"""`kluis purge`: delete every due recording for good, crash-safe and idempotent (RET-1..RET-4).

Per recording the purge walks a state machine, persisting each step before starting the next:

    (due) --claim--> started --destroy key--> key_destroyed --delete object--> object_deleted
          --verify key and object gone, certificate, audit--> deleted

- `started` is written under a lock on the recording after checking it is due and unheld: from
  then on no hold can be placed and the deletion will be finished.
- The key goes first (crypto-shredding): once it is gone no copy of the object anywhere (the
  store, its versions, its backups) can be decrypted, so a crash between the steps never leaves
  readable footage behind.
- Only after the key and the object are checked gone does the database say "deleted", with the
  certificate in the audit trail.

A run first finishes every deletion a killed run left behind, then claims new ones in batches.
Each external step is idempotent (destroying a missing key or deleting a missing object is
fine), so running the same step twice after a crash is harmless.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from kluis.core.clock import now
from kluis.devices.keystore import KeyMissing, get_keystore
from kluis.organisations.models import Organisation
from kluis.recordings.models import Recording
from kluis.recordings.storage import get_storage

from . import actions, brake
from .models import Deletion, EarlyDeletion, Hold
from .terms import due_recordings

logger = logging.getLogger(__name__)

CERTIFICATE_VERSION = "kluis-deletion-certificate/1"
#: pg_advisory_lock key: "kluis purge" as a number, so two purges never run at once.
_PG_LOCK_KEY = 0x6B6C756973707267


def checkpoint(point: str, ids: list) -> None:
    """Called between the steps; tests replace it to simulate a crash at exactly that point."""


@dataclass
class PurgeReport:
    run_id: int | None = None
    deleted: int = 0
    resumed: int = 0
    due: dict = field(default_factory=dict)
    braked: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped


@contextlib.contextmanager
def exclusive():
    """One purge at a time: a PostgreSQL advisory lock, or a file lock next to SQLite.

    Both are released by the operating system or the database when the process dies, so a
    purge killed with SIGKILL never blocks the next one.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [_PG_LOCK_KEY])
            got = cur.fetchone()[0]
        try:
            yield got
        finally:
            if got:
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s)", [_PG_LOCK_KEY])
        return
    path = Path(settings.DATA_DIR) / "purge.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def key_fingerprint(secret: bytes) -> str:
    """Names the destroyed key in the certificate without revealing anything about it."""
    return hashlib.sha256(b"kluis key fingerprint\x00" + secret).hexdigest()[:32]


def _keystore():
    return get_keystore()


def _storage(url: str):
    return get_storage(url)


def object_gone(storage, key: str) -> bool:
    """The object cannot be read any more: not there, and on a versioned S3 bucket no version
    or delete marker of it is left either."""
    if storage.exists(key):
        return False
    client = getattr(storage, "client", None)
    if client is not None and hasattr(storage, "bucket"):
        s3_key = storage._key(key)
        listing = client.list_object_versions(Bucket=storage.bucket, Prefix=s3_key)
        for v in listing.get("Versions", []):
            if v["Key"] == s3_key:
                return False
    return True


def delete_object(storage, key: str) -> None:
    """Delete every version of the object; lift an S3 legal hold first (the database holds
    were checked at the point of no return, and a legal hold would refuse even the bypass)."""
    client = getattr(storage, "client", None)
    if client is not None and getattr(storage, "object_lock", False):
        with contextlib.suppress(Exception):
            storage.set_legal_hold(key, False)
    storage.delete(key)
    if client is not None and hasattr(storage, "bucket"):
        # A versioned bucket without Object Lock keeps old versions after a plain delete.
        s3_key = storage._key(key)
        listing = client.list_object_versions(Bucket=storage.bucket, Prefix=s3_key)
        for v in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
            if v["Key"] == s3_key:
                client.delete_object(
                    Bucket=storage.bucket,
                    Key=s3_key,
                    VersionId=v["VersionId"],
                    BypassGovernanceRetention=True,
                )


def _parallel(fn, items, workers: int) -> dict:
    """Run `fn` on each item; returns {item: exception} for the ones that failed."""
    failures = {}

    def one(item):
        try:
            fn(item)
        except Exception as exc:  # noqa: BLE001 (reported per recording; retried next run)
            return item, exc
        return item, None

    if workers <= 1 or len(items) <= 1:
        results = map(one, items)
    else:
        pool = ThreadPoolExecutor(max_workers=workers)
        results = list(pool.map(one, items))
        pool.shutdown()
    for item, exc in results:
        if exc is not None:
            failures[item] = exc
    return failures


def _certificate(deletion: Deletion, rec, holds, early, verified_at) -> dict:
    cert = {
        "certificate": CERTIFICATE_VERSION,
        "recording_id": str(rec.pk),
        "organisation_id": str(rec.organisation_id),
        "camera_id": str(rec.camera_id),
        "officer_id": str(rec.officer_id) if rec.officer_id else None,
        "started_at": rec.started_at.isoformat(),
        "stopped_at": rec.stopped_at.isoformat() if rec.stopped_at else None,
        "size": rec.size,
        "sha256": rec.sha256,
        "header_sha256": rec.header_sha256,
        "ciphertext_sha256": rec.ciphertext_sha256,
        "storage": rec.storage_url.split("?")[0],
        "object": rec.storage_key,
        "key_store_entry": rec.data_key_name,
        "key_fingerprint": deletion.key_fingerprint,
        "grounds": deletion.grounds,
        "term_end": rec.retention_until.isoformat(),
        "early_deletion": (
            {
                "grounds": early.grounds,
                "due_from": early.due_from.isoformat(),
                "decision": early.decision_id,
            }
            if early
            else None
        ),
        "holds": [
            {
                "reason": h.reason,
                "case": h.case_reference,
                "placed_at": h.placed_at.isoformat(),
                "released_at": h.released_at.isoformat() if h.released_at else None,
            }
            for h in holds
        ],
        "purge_run": deletion.run_id,
        "steps": {
            "started_at": deletion.started_at.isoformat(),
            "key_destroyed_at": deletion.key_destroyed_at.isoformat()
            if deletion.key_destroyed_at
            else None,
            "object_deleted_at": deletion.object_deleted_at.isoformat()
            if deletion.object_deleted_at
            else None,
            "verified_at": verified_at.isoformat(),
        },
        "verified": {"key_absent": True, "object_absent": True},
    }
    days = getattr(settings, "KEYSTORE_BACKUP_DAYS", None)
    if days:
        cert["key_store_backups_gone_by"] = (verified_at + dt.timedelta(days=int(days))).isoformat()
    digest = hashlib.sha256(
        json.dumps(cert, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    cert["digest"] = digest
    return cert


def _finish(deletions: list[Deletion], report: PurgeReport, workers: int) -> int:
    """Drive a batch of deletions from whatever step they are in to `deleted`."""
    if not deletions:
        return 0
    recs = Recording.objects.in_bulk([d.pk for d in deletions])
    keystore = _keystore()
    by_state = defaultdict(list)
    for d in deletions:
        by_state[d.state].append(d)

    def fail(items: dict, step: str):
        for d, exc in items.items():
            report.failed[str(d.pk)] = f"{step}: {exc}"
            logger.error("Purge of %s failed at %s: %s", d.pk, step, exc)

    # 1. Destroy the key: from here on no copy of the object can be decrypted.
    todo = by_state[Deletion.State.STARTED]
    failed = _parallel(lambda d: keystore.destroy(recs[d.pk].data_key_name), todo, workers)
    fail(failed, "destroy key")
    ok = [d for d in todo if d not in failed]
    checkpoint("keys_destroyed", [d.pk for d in ok])
    actions.deletion_step([d.pk for d in ok], done=Deletion.State.KEY_DESTROYED)
    checkpoint("keys_persisted", [d.pk for d in ok])

    # 2. Delete the object, every version of it.
    todo = ok + by_state[Deletion.State.KEY_DESTROYED]
    failed = _parallel(
        lambda d: delete_object(_storage(recs[d.pk].storage_url), recs[d.pk].storage_key),
        todo,
        workers,
    )
    fail(failed, "delete object")
    ok = [d for d in todo if d not in failed]
    checkpoint("objects_deleted", [d.pk for d in ok])
    actions.deletion_step([d.pk for d in ok], done=Deletion.State.OBJECT_DELETED)
    checkpoint("objects_persisted", [d.pk for d in ok])

    # 3. Check both are gone, then (only then) the database says deleted, with a certificate.
    todo = ok + by_state[Deletion.State.OBJECT_DELETED]

    def verify(d):
        # A delete that did not survive a power cut (a key file back after a reboot) is done
        # again here rather than reported: the state says it must be gone, so make it gone.
        rec = recs[d.pk]
        if keystore.exists(rec.data_key_name):
            keystore.destroy(rec.data_key_name)
            if keystore.exists(rec.data_key_name):
                raise RuntimeError("the key is still in the key store")
        store = _storage(rec.storage_url)
        if not object_gone(store, rec.storage_key):
            delete_object(store, rec.storage_key)
            if not object_gone(store, rec.storage_key):
                raise RuntimeError("the object can still be read from storage")

    failed = _parallel(verify, todo, workers)
    fail(failed, "verify")
    ok = [d for d in todo if d not in failed]
    if not ok:
        return 0
    fresh = {d.pk: d for d in Deletion.objects.filter(pk__in=[d.pk for d in ok])}
    holds = defaultdict(list)
    for h in Hold.objects.filter(recording_id__in=list(fresh)).order_by("placed_at"):
        holds[h.recording_id].append(h)
    early = {e.recording_id: e for e in EarlyDeletion.objects.filter(recording_id__in=list(fresh))}
    verified_at = now()
    certificates = {
        pk: _certificate(d, recs[pk], holds[pk], early.get(pk), verified_at)
        for pk, d in fresh.items()
    }
    checkpoint("verified", list(fresh))
    return actions.deletion_done(list(fresh.values()), certificates)


def _batches(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _fingerprints(recording_ids, keystore, workers) -> dict:
    names = dict(
        Recording.objects.filter(pk__in=list(recording_ids)).values_list("pk", "data_key_name")
    )
    out = {}

    def one(pk):
        try:
            out[pk] = key_fingerprint(keystore.get(names[pk]))
        except KeyMissing:
            out[pk] = ""

    _parallel(one, list(names), workers)
    return out


def purge(
    *,
    organisation=None,
    dry_run: bool = False,
    batch_size: int = 500,
    workers: int = 16,
) -> PurgeReport:
    """Delete every due, unheld recording (of one organisation, or all). See the module doc."""
    report = PurgeReport()
    at = now()
    due_all = due_recordings(at, organisation)
    org_ids = set(due_all.values_list("organisation_id", flat=True).distinct())
    orgs = Organisation.objects.in_bulk(org_ids)
    if dry_run:
        for org in orgs.values():
            count = due_recordings(at, org).count()
            decision = brake.check(org, count, at)
            report.due[org.slug] = count
            if not decision.allowed:
                report.braked[org.slug] = {
                    "due": count,
                    "threshold": decision.volume.threshold,
                }
        return report

    with exclusive() as got:
        if not got:
            report.skipped = "another purge is running"
            return report
        run = actions.purge_started()
        report.run_id = run.pk
        try:
            # 1. Finish what an interrupted purge left behind (past the point of no return).
            unfinished = Deletion.objects.exclude(state=Deletion.State.DELETED)
            if organisation is not None:
                unfinished = unfinished.filter(organisation=organisation)
            left = list(unfinished.order_by("pk"))
            for batch in _batches(left, batch_size):
                report.resumed += _finish(batch, report, workers)

            # 2. Claim and delete what is due now, organisation by organisation.
            keystore = _keystore()
            for org in sorted(orgs.values(), key=lambda o: o.slug):
                ids = list(
                    due_recordings(at, org)
                    .order_by("retention_until", "pk")
                    .values_list("pk", flat=True)
                )
                report.due[org.slug] = len(ids)
                decision = brake.check(org, len(ids), at)
                if not decision.allowed:
                    req = actions.request_mass_deletion(org, due=len(ids), volume=decision.volume)
                    report.braked[org.slug] = {
                        "due": len(ids),
                        "threshold": decision.volume.threshold,
                        "request": req.pk,
                    }
                    continue
                deleted = 0
                for batch in _batches(ids, batch_size):
                    fps = _fingerprints(batch, keystore, workers)
                    claims = actions.deletion_claim(batch, run=run, fingerprints=fps, at=at)
                    checkpoint("claimed", [d.pk for d in claims])
                    deleted += _finish(claims, report, workers)
                report.deleted += deleted
                if decision.request is not None:
                    actions.mass_deletion_used(decision.request, deleted=deleted)
        except BaseException as exc:
            actions.purge_finished(run, error=f"{type(exc).__name__}: {exc}")
            raise
        run.deleted, run.resumed, run.braked = report.deleted, report.resumed, report.braked
        actions.purge_finished(run, error="; ".join(report.failed.values())[:2000])
    return report
