"""The one way to write the audit trail.

`record()` must run inside the transaction of the change it describes, so an entry never exists
without its change and a failed change leaves no entry (AUD-1). It locks the head of the
organisation's chain (a row lock taken by UPDATE ... RETURNING on PostgreSQL; SQLite's IMMEDIATE
transactions already serialise writers), so concurrent writers get consecutive sequence numbers
and each entry names the hash of the one before it (AUD-2). The lock is held until the action's
transaction ends.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from kluis.core.clock import now

from . import events
from .models import AuditEntry, ChainHead, chain_key
from .standalone_verify import (
    GENESIS_HASH,
    canonical_entry,
    canonical_json,
    entry_hash,
    format_time,
)

logger = logging.getLogger(__name__)

RECORDING_TYPE = "recordings.recording"


def normalise_details(details: dict | None) -> str:
    """`details` as canonical JSON; dates, UUIDs and decimals become strings first."""
    if not details:
        return "{}"
    if not isinstance(details, dict):
        raise TypeError("audit details are a dict")
    plain = json.loads(json.dumps(details, cls=DjangoJSONEncoder, allow_nan=False))
    _refuse_long_text(plain)
    return canonical_json(plain)


#: The longest text one value of an entry's details may hold. Inputs limit what people type
#: (forms' and serializers' max_length) well below this, so a person sees a clear 400 first;
#: this is the last line that keeps a megabyte of text out of the append-only trail.
DETAIL_TEXT_MAX = 10_000


def _refuse_long_text(value) -> None:
    if isinstance(value, str):
        if len(value) > DETAIL_TEXT_MAX:
            raise ValueError(
                f"audit details hold at most {DETAIL_TEXT_MAX} characters per text, "
                f"not {len(value)}: validate the input first"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_long_text(key)
            _refuse_long_text(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_long_text(item)


def recording_of(object_type: str, object_id: str, details_json: str) -> str:
    """The recording an entry is about, if any: its object, or details["recording_id"].

    Read from the stored details, so verification derives exactly what the writer derived.
    """
    if object_type == RECORDING_TYPE:
        return object_id
    if '"recording_id"' in details_json:
        value = json.loads(details_json).get("recording_id")
        if value not in (None, ""):
            return str(value)
    return ""


_LIMITS = {"action": 80, "purpose": 80, "object_type": 100, "object_id": 100}


def _advance_head(cursor, key: str) -> tuple[int, str]:
    """Lock the chain's head and take the next sequence: (sequence, hash of the entry before).

    One UPDATE ... RETURNING both locks the row until the transaction ends (as SELECT ... FOR
    UPDATE would) and counts on, so concurrent writers queue here and each gets its own number.
    """
    sql = (
        f"UPDATE {_HEAD} SET sequence = sequence + 1 WHERE chain = %s "  # noqa: S608
        "RETURNING sequence, entry_hash"
    )
    cursor.execute(sql, [key])
    row = cursor.fetchone()
    if row is None:
        # First entry of this chain. Two first writers may race: one insert wins, the other
        # waits for it and then finds the row.
        ChainHead.objects.bulk_create(
            [ChainHead(chain=key, sequence=0, entry_hash=GENESIS_HASH)], ignore_conflicts=True
        )
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    return int(row[0]), row[1]


_HEAD = ChainHead._meta.db_table


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def record(
    *,
    organisation,
    actor,
    action: str,
    obj=None,
    purpose: str = "",
    details: dict | None = None,
    actor_label: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> AuditEntry:
    """Append one entry. `actor=None` is the system; `actor_label` names a camera or citizen.

    `object_type`/`object_id` name the object when there is no model instance to pass as `obj`
    (for example a recording by id). Details must be JSON: dicts, lists, strings, numbers,
    booleans and null; dates, UUIDs and decimals are stored as strings.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit entries are written inside the action's transaction")
    events.check(action)
    label = actor_label or (str(actor.get_username()) if actor is not None else "system")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    object_type = object_type or ""
    object_id = "" if object_id is None else str(object_id)
    details_json = normalise_details(details)
    for name, value in (
        ("action", action),
        ("purpose", purpose),
        ("object_type", object_type),
        ("object_id", object_id),
    ):
        if len(value) > _LIMITS[name]:
            raise ValueError(f"audit {name} is longer than {_LIMITS[name]} characters")
    key = chain_key(organisation)

    with transaction.get_connection().cursor() as cursor:
        entry = _append(
            cursor,
            key,
            organisation,
            actor,
            label,
            action,
            object_type,
            object_id,
            purpose,
            details_json,
        )
    every = getattr(settings, "AUDIT_CHECKPOINT_EVERY", 0)
    if every and entry.sequence % every == 0:
        transaction.on_commit(_enqueue_checkpoint, robust=True)
    return entry


def _append(
    cursor, key, organisation, actor, label, action, object_type, object_id, purpose, details_json
) -> AuditEntry:
    sequence, prev_hash = _advance_head(cursor, key)
    # The time is read under the lock, so times never run backwards along a chain.
    at = now()
    fields = {
        "sequence": sequence,
        "at": format_time(at),
        "organisation": None if organisation is None else str(organisation.pk),
        "actor": None if actor is None else str(actor.pk),
        "actor_label": _clip(label, 200),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "purpose": purpose,
        "details_json": details_json,
        "prev_hash": prev_hash,
    }
    own = entry_hash(canonical_entry(**fields))
    entry = AuditEntry.objects.create(
        chain=key,
        sequence=fields["sequence"],
        at=at,
        organisation=organisation,
        actor=actor,
        actor_label=fields["actor_label"],
        action=action,
        object_type=object_type,
        object_id=object_id,
        purpose=purpose,
        details_json=details_json,
        recording_id=recording_of(object_type, object_id, details_json),
        prev_hash=prev_hash,
        entry_hash=own,
    )
    cursor.execute(f"UPDATE {_HEAD} SET entry_hash = %s WHERE chain = %s", [own, key])  # noqa: S608
    return entry


def _enqueue_checkpoint() -> None:
    # Imported on use: tasks -> actions -> log, so a top-level import would be a cycle.
    from .tasks import make_checkpoints

    make_checkpoints.enqueue()
