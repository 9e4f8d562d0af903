"""Time to find expired recordings among many, and to purge them (RET-1, RET-4).

Run:
    python benchmarks/bench_purge.py               # SQLite: 1,000,000 rows, 100,000 expired
    python benchmarks/bench_purge.py --pg          # PostgreSQL (KLUIS_DATABASE_URL or local)
    python benchmarks/bench_purge.py --total 100000 --expired 10000     # quicker

Goal (issue 7): purge 100,000 expired recordings in under 60 s on each database, and show the
time to find them among 1,000,000. Each expired recording has a real key-store entry and an
object in a local footage store, so the purge does its real work per recording: read the key
for its fingerprint, destroy it (overwrite, fsync, unlink), delete the object, check both gone,
write the certificate and the hash-chained audit entry. The figures depend on the disk's fsync
latency; the script prints the file system it ran on.

Setup (bulk rows, keys and objects written without fsync) is timed separately and is not part of
the result. PostgreSQL runs in a database of its own (kluis_bench_purge), dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def setup_django(database_url: str | None, data_dir: str) -> None:
    os.environ["KLUIS_ENVIRONMENT"] = "test"
    os.environ["KLUIS_DATA_DIR"] = data_dir
    os.environ["KLUIS_LOG_LEVEL"] = "ERROR"
    os.environ["KLUIS_DATABASE_URL"] = database_url or f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kluis.conf.settings"
    import django

    django.setup()


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    print(f"{label:<48} {took:8.2f} s", flush=True)
    return result, took


def load(total: int, expired: int, data_dir: Path, workers: int):
    """Bulk rows for `total` recordings, `expired` of them past their term, with keys/objects."""
    from django.db import transaction
    from tests.factories import make_organisation

    from kluis.core.clock import now
    from kluis.devices.keystore import _MAGIC, get_keystore
    from kluis.devices.models import Camera
    from kluis.organisations.models import Team
    from kluis.recordings.models import Recording

    org = make_organisation("bench", preset="h2o")
    team = Team.objects.get(organisation=org)
    camera = Camera.objects.create(
        organisation=org,
        team=team,
        serial="BENCH-1",
        status=Camera.Status.ENROLLED,
        public_key=secrets.token_bytes(32),
        enrolled_at=now(),
    )
    store = get_keystore()
    footage = data_dir / "footage"
    at = now()
    days = org.policy.retention_days
    storage_url = f"file://{footage}"
    batch = 10_000
    expired_rows = []
    for start in range(0, total, batch):
        rows = []
        for i in range(start, min(total, start + batch)):
            rid = uuid.uuid4()
            is_expired = i < expired
            started = at - dt.timedelta(
                days=days + 1 if is_expired else (i % (days - 1)), seconds=i % 86_400
            )
            rows.append(
                Recording(
                    id=rid,
                    organisation=org,
                    team=team,
                    camera=camera,
                    started_at=started,
                    stopped_at=started + dt.timedelta(minutes=3),
                    pre_record_seconds=60,
                    complete=True,
                    size=4096,
                    sha256="0" * 64,
                    header_sha256="1" * 64,
                    ciphertext_sha256="2" * 64,
                    plaintext_size=4000,
                    chunk_count=1,
                    retention_until=started + dt.timedelta(days=days),
                    storage_url=storage_url,
                    storage_key=f"{org.pk}/{started:%Y/%m}/{rid}.kluis",
                    data_key_name=f"recording/{rid}/data-key",
                    stored_at=started,
                    receipt={},
                )
            )
            if is_expired:
                expired_rows.append(rows[-1])
        with transaction.atomic():
            Recording.objects.bulk_create(rows, batch_size=2000)

    aead = store._aead

    def write(rec):
        # The key store's own format, without the fsyncs (setup speed only).
        path = store._path(rec.data_key_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        nonce = os.urandom(12)
        path.write_bytes(
            _MAGIC + nonce + aead.encrypt(nonce, os.urandom(32), store._aad(rec.data_key_name))
        )
        obj = footage / rec.storage_key
        obj.parent.mkdir(parents=True, exist_ok=True)
        obj.write_bytes(b"\0" * 256)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(write, expired_rows, chunksize=256))
    return org


def run(args) -> int:
    data_dir = Path(args.dir or tempfile.mkdtemp(prefix="kluis-bench-purge-"))
    setup_django(args.pg, str(data_dir))
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.RETENTION_BRAKE_MINIMUM = 10**9  # the brake would (rightly) stop this purge
    if connection.vendor == "postgresql":
        settings.DATABASES["default"]["TEST"]["NAME"] = "kluis_bench_purge"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    else:
        call_command("migrate", verbosity=0, interactive=False)

    from kluis.recordings.models import Recording
    from kluis.retention.purge import purge
    from kluis.retention.terms import due_recordings

    print(f"database: {connection.vendor}; data directory: {data_dir}")
    fs = os.popen(f"df -T {data_dir} | tail -1").read().split()  # noqa: S605
    print(f"file system: {fs[1] if len(fs) > 1 else '?'}; workers: {args.workers}")
    try:
        timed(
            f"setup: {args.total:,} recordings, {args.expired:,} expired",
            lambda: load(args.total, args.expired, data_dir, args.workers),
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        count, _ = timed(
            f"find the due recordings among {args.total:,}", lambda: due_recordings().count()
        )
        assert count == args.expired, (count, args.expired)
        report, took = timed(
            f"purge {args.expired:,} expired recordings",
            lambda: purge(batch_size=args.batch_size, workers=args.workers),
        )
        assert report.deleted == args.expired and report.ok, (report.deleted, report.failed)
        left = Recording.objects.filter(state="stored").count()
        assert left == args.total - args.expired
        print(f"{'rate':<48} {args.expired / took:8.0f} recordings/s")
        print(f"goal under 60 s: {'met' if took < 60 else 'NOT met'}")
        _, _ = timed("second purge (nothing due)", lambda: purge())
    finally:
        if connection.vendor == "postgresql":
            connection.creation.destroy_test_db("kluis_bench_purge", verbosity=0)
        if not args.dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--expired", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--dir", help="data directory (default: a new temporary directory)")
    parser.add_argument(
        "--pg",
        nargs="?",
        const=os.environ.get("KLUIS_DATABASE_URL") or "postgres://kluis:kluis@127.0.0.1:5432/kluis",
        default=None,
        metavar="URL",
        help="run on PostgreSQL instead of SQLite",
    )
    args = parser.parse_args()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
