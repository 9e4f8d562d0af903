"""Verification of the audit trail in the database, and the export that others verify (AUD-2).

Rows are read with a plain streaming cursor and turned into canonical bytes by the same template
the writer used (standalone_verify.canonical_entry), so the database and an export are checked by
one definition of the format. A long chain is split by sequence into ranges that processes of
their own verify at the same time (one per core); this process joins them in chain order.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
import re
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import BinaryIO

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Max

from kluis.core.clock import now

from .log import RECORDING_TYPE, recording_of
from .models import AuditEntry, ChainHead, Checkpoint
from .standalone_verify import (
    _ENTRY_TEMPLATE,
    EXPORT_FORMAT,
    GENESIS_HASH,
    INSTALLATION_CHAIN,
    ChainBroken,
    ChainSummary,
    ChainVerifier,
    _json_str,
)
from .standalone_verify import Checkpoint as CheckpointData
from .standalone_verify import canonical_entry_args as _canonical_args
from .standalone_verify import export_entry_line as _entry_line
from .standalone_verify import export_json_line as _json_line
from .standalone_verify import format_time as _format_time

FETCH = 5000
_COLUMNS = (
    "sequence, {at}, {org}, {actor}, actor_label, action, object_type, object_id, purpose, "
    "details_json, recording_id, prev_hash, entry_hash"
)


@contextlib.contextmanager
def snapshot() -> Iterator[None]:
    """One consistent view of the trail while writers go on appending.

    PostgreSQL: a REPEATABLE READ transaction. SQLite: a deferred read transaction (WAL keeps the
    snapshot without blocking writers). Inside an existing transaction, that one is the view.
    """
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
        return
    yield


def _uuid_text():
    """Turns a stored UUID into its canonical text; SQLite stores 32 hex digits without dashes."""
    cache: dict = {None: None}

    def convert(value):
        try:
            return cache[value]
        except KeyError:
            text = str(value) if len(str(value)) == 36 else str(uuid.UUID(str(value)))
            cache[value] = text
            return text

    return convert


def _sqlite_time(value: str) -> str:
    # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC. (Doing this in SQL was measured
    # slower: SQLite's string functions cost more than these slices.)
    if len(value) == 19:
        value += ".000000"
    return value[:10] + "T" + value[11:26] + "Z"


def _select_sql(chain_param: bool = True) -> str:
    table = AuditEntry._meta.db_table
    if connection.vendor == "postgresql":
        cols = _COLUMNS.format(
            at="""to_char("at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
            org="organisation_id::text",
            actor="actor_id::text",
        )
    else:
        # CAST keeps Django's datetime converter out of the loop: the text is all we need.
        cols = _COLUMNS.format(at="CAST(at AS TEXT)", org="organisation_id", actor="actor_id")
    return (
        f"SELECT {cols} FROM {table} WHERE chain = %s AND sequence > %s "  # noqa: S608
        "ORDER BY sequence"
    )


def _converters():
    """(time to canonical text, stored UUID to canonical text) for this database."""
    if connection.vendor == "postgresql":  # the SELECT already casts both to text

        def same(v):
            return v

        return same, same
    if connection.vendor == "sqlite":
        return _sqlite_time, _uuid_text()
    return _format_time, _uuid_text()  # pragma: no cover - only the two supported databases


def _batches(chain: str, after: int, upto: int | None = None) -> Iterator[list[tuple]]:
    """The chain's rows after `after` (up to `upto`), in order, a batch at a time from a
    streaming cursor."""
    sql, params = _select_sql(), [chain, after]
    if upto is not None:
        sql = sql.replace("ORDER BY", "AND sequence <= %s ORDER BY")
        params.append(upto)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH):
            yield rows


def _recording_ok(rec_id, otype, oid, details) -> bool:
    if rec_id or otype == RECORDING_TYPE or '"recording_id"' in details:
        return rec_id == recording_of(otype, oid, details)
    return True


def iter_entries(chain: str, after: int = 0) -> Iterator[tuple]:
    """(sequence, canonical bytes, prev_hash, stored hash, recording_id ok) in chain order."""
    to_time, convert = _converters()
    canonical = _canonical_args
    for rows in _batches(chain, after):
        for (
            seq,
            at,
            org,
            actor,
            label,
            action,
            otype,
            oid,
            purpose,
            details,
            rec_id,
            prev,
            own,
        ) in rows:
            body = canonical(
                seq,
                to_time(at),
                convert(org),
                convert(actor),
                label,
                action,
                otype,
                oid,
                purpose,
                details,
                prev,
            )
            yield seq, body, prev, own, _recording_ok(rec_id, otype, oid, details)


def chains() -> list[str]:
    """Every chain in the database: those with a head, and any with entries but no head."""
    keys = set(ChainHead.objects.values_list("chain", flat=True))
    keys |= set(AuditEntry.objects.values_list("chain", flat=True).distinct())
    return sorted(keys, key=lambda k: (k != INSTALLATION_CHAIN, k))


def _checkpoints(chain: str, after: int = 0) -> list[CheckpointData]:
    return [
        cp.as_data()
        for cp in Checkpoint.objects.filter(chain=chain, sequence__gte=after).order_by("sequence")
    ]


class _Range:
    """What one scan of a sequence range found, for the parent to check in chain order.

    `first` is the range's first row as (sequence, prev_hash, hash, canonical bytes): its link and
    hash are checked by the parent against the end of the range before. `hashes` holds the hash
    at each checkpoint's sequence; `broken` is the first problem inside the range as
    (sequence, reason).
    """

    __slots__ = ("broken", "first", "hashes", "last")

    def __init__(self):
        self.first = None
        self.last = None  # (sequence, hash) of the range's last row
        self.hashes: dict[int, str] = {}
        self.broken: tuple[int | None, str] | None = None


def _scan(chain: str, batches, checkpoint_seqs, to_time, convert) -> _Range:
    """Verify rows in order: every hash and every link after the range's first row.

    The hot loop: a million rows must verify in seconds, so it is inlined; anything off is handed
    to ChainVerifier.entry(), which names the problem with the same words as everywhere.
    """
    result = _Range()
    template, js, sha256 = _ENTRY_TEMPLATE, _json_str, hashlib.sha256
    quoted = {None: "null"}  # stored UUID -> its canonical text, JSON-quoted
    wanted = set(checkpoint_seqs)
    hashes = result.hashes
    seq, last = None, None
    verifier = ChainVerifier(chain)
    collecting = gc.isenabled()
    gc.disable()  # the loop makes no cycles; collections would only walk the fetched rows
    try:
        for rows in batches:
            for (
                found,
                at,
                org,
                actor,
                label,
                action,
                otype,
                oid,
                purpose,
                details,
                rec_id,
                prev,
                own,
            ) in rows:
                # canonical_entry_args, inlined: the same template and the same quoting.
                q_org = quoted.get(org) or quoted.setdefault(org, js(convert(org)))
                q_actor = quoted.get(actor) or quoted.setdefault(actor, js(convert(actor)))
                body = (
                    template
                    % (
                        js(action),
                        q_actor,
                        js(label),
                        to_time(at),
                        details,
                        js(oid),
                        js(otype),
                        q_org,
                        prev,
                        js(purpose),
                        int(found),
                    )
                ).encode("utf-8")
                if seq is None:
                    result.first = (found, prev, own, body)
                elif found != seq + 1 or prev != last or sha256(body).hexdigest() != own:
                    verifier.sequence, verifier.last_hash = seq, last
                    verifier.entry(found, prev, own, body)
                if (rec_id or '"recording_id"' in details or otype == RECORDING_TYPE) and not (
                    _recording_ok(rec_id, otype, oid, details)
                ):
                    raise ChainBroken(
                        chain,
                        found,
                        "the entry's recording index does not match what its hash covers",
                    )
                seq, last = found, own
                if found in wanted:
                    hashes[found] = own
    except ChainBroken as exc:
        result.broken = (exc.sequence, exc.reason)
    finally:
        if collecting:
            gc.enable()
    if seq is not None:
        result.last = (seq, last)
    return result


def _apply(verifier: ChainVerifier, found: _Range, pending: list[CheckpointData]) -> None:
    """Join a scanned range onto the chain so far, in the order the one-pass walk checks."""
    if found.first is not None:
        verifier.entry(*found.first)  # the link across the range boundary, and the first hash
    while pending and pending[0].sequence in found.hashes:
        cp = pending[0]
        if found.broken is not None and cp.sequence >= found.broken[0]:
            break
        verifier.sequence, verifier.last_hash = cp.sequence, found.hashes[cp.sequence]
        verifier.checkpoint(pending.pop(0))
    if found.broken is not None:
        raise ChainBroken(verifier.chain, *found.broken)
    if found.last is not None:
        verifier.sequence, verifier.last_hash = found.last


def _ranges(after: int, top: int, size: int) -> list[tuple[int, int]]:
    """(after, up to) pairs splitting the sequences after..top into ranges of about `size`."""
    count = max(1, min(-(-(top - after) // max(size, 1)), 64))
    step = -(-(top - after) // count)
    bounds = [min(after + i * step, top) for i in range(count)] + [top]
    return [(lo, hi) for lo, hi in zip(bounds, bounds[1:], strict=False) if hi > lo]


def _can_fork() -> bool:
    """Other processes see the same trail: a database file or server, outside a transaction.

    Only a single-threaded process forks (the `kluis audit` command, a task worker): in a web
    server another thread may hold a lock at fork time that the child would wait on forever.
    """
    if connection.in_atomic_block or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        return False
    if connection.vendor == "sqlite":
        return not connection.is_in_memory_db()
    return connection.vendor == "postgresql"


def _worker_scan(job) -> _Range:
    """One range in a process of its own, with its own connection (and PostgreSQL snapshot)."""
    chain, lo, hi, seqs, snapshot_id = job
    with snapshot():
        if snapshot_id:
            if not re.fullmatch(r"[0-9A-F-]+", snapshot_id):
                raise ValueError(f"unexpected snapshot id {snapshot_id!r}")
            with connection.cursor() as cursor:
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot_id}'")
        to_time, convert = _converters()
        return _scan(chain, _batches(chain, lo, hi), seqs, to_time, convert)


_INHERITED: list = []


def _fork_init():
    """In a forked worker: keep the parent's connection untouched and open a fresh one.

    Closing the inherited connection would end the parent's session (PostgreSQL) or drop locks
    SQLite thinks this process holds, so it is kept referenced until the process exits.
    """
    _INHERITED.append(connections["default"])
    connections["default"] = connections.create_connection("default")


def _scan_parallel(chain: str, ranges, pending, snapshot_id) -> Iterator[_Range]:
    jobs = [
        (chain, lo, hi, [cp.sequence for cp in pending if lo < cp.sequence <= hi], snapshot_id)
        for lo, hi in ranges
    ]
    context = multiprocessing.get_context("fork")
    workers = min(len(jobs), os.cpu_count() or 1)
    # Frozen objects are left alone by the children's garbage collector, so the pages they share
    # with this process are not copied one by one.
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_fork_init) as pool:
            yield from pool.map(_worker_scan, jobs)
    finally:
        gc.unfreeze()


def verify_chain(
    chain: str,
    public_keys: dict | None,
    *,
    start: CheckpointData | None = None,
    check_head: bool = True,
) -> ChainSummary:
    """Verify one chain from the start, or from a trusted checkpoint. Raises ChainBroken.

    A long chain is split by sequence into ranges of settings.AUDIT_VERIFY_RANGE entries, each
    verified in a process of its own (its hashes and inner links); this process then checks the
    links where the ranges meet, the checkpoints and the head, in chain order, so a break is
    named exactly as one pass over the chain names it.
    """
    parallel = _can_fork()
    with snapshot():
        after = start.sequence if start else 0
        verifier = ChainVerifier(
            chain,
            public_keys,
            start_sequence=after,
            start_hash=start.entry_hash if start else GENESIS_HASH,
        )
        pending = [cp for cp in _checkpoints(chain, after) if cp.sequence > after]
        head = ChainHead.objects.filter(chain=chain).values_list("sequence", "entry_hash").first()
        top = AuditEntry.objects.filter(chain=chain).aggregate(top=Max("sequence"))["top"] or 0
        ranges = _ranges(after, top, settings.AUDIT_VERIFY_RANGE)
        if len(ranges) > 1 and parallel:
            snapshot_id = None
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot_id = cursor.fetchone()[0]
            scanned = _scan_parallel(chain, ranges, pending, snapshot_id)
        else:
            to_time, convert = _converters()
            if len(ranges) <= 1:
                ranges = [(after, None)]
            scanned = (
                _scan(
                    chain,
                    _batches(chain, lo, hi),
                    [cp.sequence for cp in pending],
                    to_time,
                    convert,
                )
                for lo, hi in ranges
            )
        for found in scanned:
            _apply(verifier, found, pending)
        for cp in pending:
            verifier.checkpoint(cp)  # each one past the end reports the chain as shortened
        if check_head:
            if head is None and verifier.sequence:
                raise ChainBroken(chain, None, "the chain has entries but no head")
            return verifier.finish(tuple(head) if head else None)
        return verifier.finish()


def verify_all(public_keys: dict | None, only: list[str] | None = None) -> list[ChainSummary]:
    return [verify_chain(key, public_keys) for key in (only or chains())]


def export(out: BinaryIO, only: list[str] | None = None) -> int:
    """Write chains as JSON lines (format in docs/audit.md); returns the number of entries.

    Entries are written with their stored hashes, so a change in the database shows up when the
    export is verified, wherever that happens.
    """
    total = 0
    with snapshot():
        for key in only or chains():
            head = ChainHead.objects.filter(chain=key).values_list("sequence", "entry_hash").first()
            org = None if key == INSTALLATION_CHAIN else key
            out.write(
                _json_line(
                    {
                        "type": "chain",
                        "format": EXPORT_FORMAT,
                        "chain": key,
                        "organisation": org,
                        "exported_at": _format_time(now()),
                        "head": {"sequence": head[0], "hash": head[1]} if head else None,
                    }
                )
            )
            cps = _checkpoints(key)
            next_cp = cps[0].sequence if cps else -1
            count = 0
            for seq, body, _prev, own, _ok in iter_entries(key):
                out.write(_entry_line(own, body))
                count += 1
                while seq == next_cp:
                    out.write(checkpoint_line(cps.pop(0)))
                    next_cp = cps[0].sequence if cps else -1
            for cp in cps:
                out.write(checkpoint_line(cp))
            out.write(_json_line({"type": "end", "chain": key, "entries": count}))
            total += count
    return total


def checkpoint_line(cp: CheckpointData) -> bytes:
    return _json_line(
        {
            "type": "checkpoint",
            "checkpoint": {
                "at": cp.at,
                "chain": cp.chain,
                "entry_hash": cp.entry_hash,
                "key_id": cp.key_id,
                "sequence": cp.sequence,
                "version": 1,
            },
            "signature": cp.signature,
        }
    )


__all__ = ["ChainBroken", "chains", "export", "iter_entries", "verify_all", "verify_chain"]
