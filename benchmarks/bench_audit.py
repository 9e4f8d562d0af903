"""Audit trail: append rate and verify rate (issue 20; goal: 1,000,000 entries verified < 5 s).

    python benchmarks/bench_audit.py                      # SQLite (a file in a temp directory)
    python benchmarks/bench_audit.py --pg                 # also PostgreSQL (KLUIS_DATABASE_URL,
                                                          # or postgres://kluis:kluis@127.0.0.1/kluis)
    python benchmarks/bench_audit.py --verify-entries 200000 --append-entries 500

What it measures, per database:
- append: `record()` with one transaction per entry, as actions write them (entries/s), and 100
  entries per transaction;
- verify (database): `kluis audit verify` of a chain of N entries, streamed from the database in
  ranges of KLUIS_AUDIT_VERIFY_RANGE entries verified by parallel processes (the chain is
  bulk-loaded first with correct hashes; loading is not timed as a headline), beside the goal of
  1,000,000 entries in under 5 s, which is claimed only when it ran at that size;
- export: `kluis audit export` of that chain to a file;
- verify (export): the stand-alone verifier over the file, in its default mode (hashes, links,
  signatures) and with --strict (also canonical JSON of every entry).

Wall-clock and CPU seconds are both printed: the machines are shared, and CPU time shows what
the code costs when the wall clock is stretched by other processes. The PostgreSQL run uses its
own database (kluis_bench_audit), created and dropped here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

GOAL_ENTRIES = 1_000_000  # issue 20: this many entries verified from the database ...
GOAL_SECONDS = 5.0  # ... in under this many seconds (wall clock), on SQLite and PostgreSQL
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def setup_django(database_url: str | None, data_dir: str) -> None:
    os.environ["KLUIS_ENVIRONMENT"] = "test"
    os.environ["KLUIS_DATA_DIR"] = data_dir
    os.environ["KLUIS_AUDIT_CHECKPOINT_EVERY"] = "0"  # checkpoints are signed explicitly below
    if database_url:
        os.environ["KLUIS_DATABASE_URL"] = database_url
    else:
        os.environ["KLUIS_DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kluis.conf.settings"
    import django

    django.setup()


def bulk_load(org, n: int) -> str:
    """n entries in the organisation's chain, with correct hashes, written as fast as possible."""
    from django.db import connection, transaction

    from kluis.custody.models import AuditEntry, ChainHead, chain_key
    from kluis.custody.standalone_verify import canonical_entry, canonical_json

    chain = chain_key(org)
    head = ChainHead.objects.get(chain=chain)
    seq, prev = head.sequence, head.entry_hash
    org_text = str(org.pk)
    org_db = org.pk.hex if connection.vendor == "sqlite" else org_text
    base = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    cols = (
        "chain, sequence, at, organisation_id, actor_id, actor_label, action, object_type, "
        "object_id, purpose, details_json, recording_id, prev_hash, entry_hash"
    )
    table = AuditEntry._meta.db_table

    def rows():
        nonlocal seq, prev
        for i in range(n):
            seq += 1
            at = base + dt.timedelta(microseconds=seq * 1000)
            rec = str(uuid.UUID(int=seq))
            # A mix like a real trail: a third of the entries are about a recording as their
            # object, one in ten names a recording in its details (verification then parses the
            # details to check the recording index), the rest are about something else.
            otype, oid = ("recordings.recording", rec) if i % 3 == 0 else ("", "")
            payload = {"session": seq % 97, "note": "bekeken met leidinggevende"}
            if i % 10 == 1:
                payload["recording_id"] = rec
            details = canonical_json(payload)
            body = canonical_entry(
                sequence=seq,
                at=at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                organisation=org_text,
                actor=None,
                actor_label=f"boa-{i % 40}",
                action="recording.viewed",
                object_type=otype,
                object_id=oid,
                purpose="complaint",
                details_json=details,
                prev_hash=prev,
            )
            own = hashlib.sha256(body).hexdigest()
            at_db = at.strftime("%Y-%m-%d %H:%M:%S.%f") if connection.vendor == "sqlite" else at
            yield (
                chain,
                seq,
                at_db,
                org_db,
                None,
                f"boa-{i % 40}",
                "recording.viewed",
                otype,
                oid,
                "complaint",
                details,
                rec if (otype or "recording_id" in payload) else "",
                prev,
                own,
            )
            prev = own

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # noqa: S608
                for row in rows():
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * 14)
            sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608
            batch = []
            for row in rows():
                batch.append(row)
                if len(batch) == 20000:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
        ChainHead.objects.filter(chain=chain).update(sequence=seq, entry_hash=prev)
    return chain


def run(label: str, database_url: str | None, args) -> list[tuple[str, str]]:
    data_dir = tempfile.mkdtemp(prefix="kluis-bench-audit-")
    setup_django(database_url, data_dir)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    created_test_db = False
    if connection.vendor == "postgresql":
        settings.DATABASES["default"]["TEST"]["NAME"] = "kluis_bench_audit"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        created_test_db = True
    else:
        call_command("migrate", verbosity=0, interactive=False)

    from kluis.custody import standalone_verify as sv
    from kluis.custody.checkpoints import make_checkpoint
    from kluis.custody.keys import signing_key, trusted_public_keys
    from kluis.custody.log import record
    from kluis.custody.verify import export, verify_chain
    from kluis.organisations import actions

    results: list[tuple[str, str]] = []
    try:
        org = actions.create_organisation(name="Bench", slug="bench", preset_key="h2o")

        def one_per_transaction():
            for i in range(args.append_entries):
                with transaction.atomic():
                    record(
                        organisation=org,
                        actor=None,
                        action="team.added",
                        details={"i": i, "recording_id": str(uuid.UUID(int=i))},
                    )

        _, wall, cpu = timed(one_per_transaction)
        results.append(
            (
                f"{label}: append, 1 entry per transaction",
                f"{args.append_entries / wall:,.0f} entries/s (wall {wall:.2f} s, CPU {cpu:.2f} s)",
            )
        )

        def hundred_per_transaction():
            for _ in range(args.append_entries // 100):
                with transaction.atomic():
                    for i in range(100):
                        record(organisation=org, actor=None, action="team.added", details={"i": i})

        _, wall, _cpu = timed(hundred_per_transaction)
        n = args.append_entries // 100 * 100
        results.append(
            (f"{label}: append, 100 entries per transaction", f"{n / wall:,.0f} entries/s")
        )

        remaining = args.verify_entries - 2 * args.append_entries - 1
        chain, wall, _cpu = timed(lambda: bulk_load(org, max(remaining, 0)))
        make_checkpoint(chain)
        total = verify_chain(chain, None).entries
        results.append(
            (f"{label}: bulk load (not a headline)", f"{total:,} entries in {wall:.1f} s")
        )

        keys = trusted_public_keys()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary, wall, cpu = timed(lambda: verify_chain(chain, keys))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        if summary.entries >= GOAL_ENTRIES:
            goal = f"goal < {GOAL_SECONDS:.0f} s: {'met' if wall < GOAL_SECONDS else 'NOT met'}"
        else:
            goal = f"goal < {GOAL_SECONDS:.0f} s at {GOAL_ENTRIES:,} entries: not run at that size"
        results.append(
            (
                f"{label}: verify in the database ({summary.entries:,} entries)",
                f"{wall:.2f} s wall, {cpu:.2f} s CPU in this process + {workers_cpu:.2f} s CPU in "
                f"range workers = {summary.entries / wall:,.0f} entries/s; {goal}",
            )
        )

        path = Path(data_dir) / "export.jsonl"

        def do_export():
            with open(path, "wb") as fh:
                return export(fh, [chain])

        count, wall, _cpu = timed(do_export)
        size = path.stat().st_size / 1e6
        results.append((f"{label}: export", f"{count:,} entries, {size:,.0f} MB in {wall:.2f} s"))

        public = {signing_key().key_id: signing_key().private.public_key()}
        for strict in (False, True) if args.strict else (False,):

            def verify_file(strict=strict):
                with open(path, "rb") as fh:
                    return sv.verify_export(fh, public, strict=strict)

            (summary,), wall, cpu = timed(verify_file)
            mode = "--strict" if strict else "default"
            results.append(
                (
                    f"{label}: stand-alone verify of the export ({mode})",
                    f"{wall:.2f} s wall, {cpu:.2f} s CPU = {summary.entries / wall:,.0f} entries/s",
                )
            )
        path.unlink()
    finally:
        connection.close()
        if created_test_db:
            connection.creation.destroy_test_db("kluis_bench_audit", verbosity=0)
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--append-entries", type=int, default=2000)
    parser.add_argument("--verify-entries", type=int, default=1_000_000)
    parser.add_argument(
        "--pg",
        nargs="?",
        const="",
        default=None,
        metavar="URL",
        help="also run on PostgreSQL (default: KLUIS_DATABASE_URL or the local kluis database)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="also time the stand-alone verifier's --strict mode"
    )
    parser.add_argument("--only-pg", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    env_url = os.environ.get("KLUIS_DATABASE_URL")

    def show(results):
        width = max(len(name) for name, _ in results)
        for name, value in results:
            print(f"{name:<{width}}  {value}", flush=True)

    if args.only_pg:
        show(run("PostgreSQL", args.pg, args))
        return 0
    os.environ.pop("KLUIS_DATABASE_URL", None)
    show(run("SQLite", None, args))
    if args.pg is not None:
        # Django is set up once per process: PostgreSQL gets a process of its own.
        import subprocess

        url = args.pg or env_url or ("postgres://kluis:kluis@127.0.0.1:5432/kluis")
        argv = [
            sys.executable,
            __file__,
            "--only-pg",
            "--pg",
            url,
            "--append-entries",
            str(args.append_entries),
            "--verify-entries",
            str(args.verify_entries),
        ] + (["--strict"] if args.strict else [])
        env = {k: v for k, v in os.environ.items() if k != "KLUIS_DATABASE_URL"}
        subprocess.run(argv, check=True, env=env)
    load = os.getloadavg()
    print(f"(load average {load[0]:.1f}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
