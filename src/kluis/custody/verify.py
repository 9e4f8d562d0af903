"""Verification of the audit trail in the database, and the export that others verify (AUD-2).

Rows are read with a plain streaming cursor and turned into canonical bytes by the same function
the writer used (standalone_verify.canonical_entry), so a million entries verify in seconds and
the database and an export are checked by one definition of the format.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterator
from typing import BinaryIO

from django.db import connection, transaction

from kluis.core.clock import now

from .log import RECORDING_TYPE, recording_of
from .models import AuditEntry, ChainHead, Checkpoint
from .standalone_verify import (
    EXPORT_FORMAT,
    GENESIS_HASH,
    INSTALLATION_CHAIN,
    ChainBroken,
    ChainSummary,
    ChainVerifier,
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


def _batches(chain: str, after: int) -> Iterator[list[tuple]]:
    """The chain's rows after `after`, in order, a batch at a time from a streaming cursor."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(_select_sql(), [chain, after])
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


def verify_chain(
    chain: str,
    public_keys: dict | None,
    *,
    start: CheckpointData | None = None,
    check_head: bool = True,
) -> ChainSummary:
    """Verify one chain from the start, or from a trusted checkpoint. Raises ChainBroken."""
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
        next_cp = pending[0].sequence if pending else -1
        # The hot loop: a million rows must verify in seconds, so it is inlined; anything off is
        # handed to verifier.entry(), which names the problem.
        to_time, convert = _converters()
        canonical, sha256 = _canonical_args, hashlib.sha256
        seq, last = verifier.sequence, verifier.last_hash
        for rows in _batches(chain, after):
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
            ) in rows:  # noqa: E501
                body = canonical(
                    found,
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
                if found != seq + 1 or prev != last or sha256(body).hexdigest() != own:
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
                if found == next_cp:
                    verifier.sequence, verifier.last_hash = seq, last
                    while found == next_cp:
                        verifier.checkpoint(pending.pop(0))
                        next_cp = pending[0].sequence if pending else -1
        verifier.sequence, verifier.last_hash = seq, last
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
