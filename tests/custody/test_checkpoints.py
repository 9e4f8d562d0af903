"""AUD-2: signed checkpoints pin the chain, so even a consistently rewritten tail shows."""

from __future__ import annotations

import base64
import hashlib
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction

from kluis.custody.checkpoints import checkpoint_all, make_checkpoint
from kluis.custody.events import AuditEvent
from kluis.custody.keys import signing_key, trusted_public_keys
from kluis.custody.log import record
from kluis.custody.models import AuditEntry, ChainHead, Checkpoint
from kluis.custody.standalone_verify import (
    ChainBroken,
    canonical_entry,
    checkpoint_message,
    format_time,
    key_id,
    public_raw,
)
from kluis.custody.verify import verify_chain

from .conftest import sql, write_entries

pytestmark = [pytest.mark.django_db, pytest.mark.rule("AUD-2")]

TABLE = AuditEntry._meta.db_table


def rewrite_from(chain: str, start: int, action: str = "rewritten") -> None:
    """What an attacker with the database (but not the signing key) can do: change entry
    `start` and recompute every hash after it, and the chain head, so the chain links again."""
    rows = list(AuditEntry.objects.filter(chain=chain).order_by("sequence"))
    prev = rows[start - 2].entry_hash if start > 1 else "0" * 64
    for row in rows[start - 1 :]:
        new_action = action if row.sequence == start else row.action
        body = canonical_entry(
            sequence=row.sequence,
            at=format_time(row.at),
            organisation=str(row.organisation_id) if row.organisation_id else None,
            actor=str(row.actor_id) if row.actor_id else None,
            actor_label=row.actor_label,
            action=new_action,
            object_type=row.object_type,
            object_id=row.object_id,
            purpose=row.purpose,
            details_json=row.details_json,
            prev_hash=prev,
        )
        own = hashlib.sha256(body).hexdigest()
        sql(
            f"UPDATE {TABLE} SET action = %s, prev_hash = %s, entry_hash = %s "  # noqa: S608
            "WHERE id = %s",
            [new_action, prev, own, row.pk],
        )
        prev = own
    ChainHead.objects.filter(chain=chain).update(entry_hash=prev)


def test_a_consistent_rewrite_passes_the_hashes_but_not_the_checkpoint(trail):
    chain = trail(10)  # entries 1..13
    cp = make_checkpoint(chain)
    assert cp.sequence == 13
    write_entries(cp.organisation, 4)  # 14..17, after the checkpoint
    rewrite_from(chain, 6)
    with pytest.raises(ChainBroken) as info:
        verify_chain(chain, trusted_public_keys())
    assert info.value.sequence == 13
    assert "entries #1 to #13 were rewritten" in info.value.reason


def test_the_position_is_narrowed_to_between_two_checkpoints(trail, org):
    chain = trail(4)  # 1..7
    make_checkpoint(chain)
    write_entries(org, 5)  # 8..12
    make_checkpoint(chain)
    rewrite_from(chain, 10)
    with pytest.raises(ChainBroken) as info:
        verify_chain(chain, trusted_public_keys())
    assert info.value.sequence == 12
    assert "entries #8 to #12 were rewritten" in info.value.reason


def test_a_rewrite_after_the_last_checkpoint_is_out_of_its_reach(trail, org):
    """Documented limit: entries after the last checkpoint are only as safe as the database
    until the next checkpoint signs them; checkpoints are made often for that reason."""
    chain = trail(3)
    make_checkpoint(chain)
    write_entries(org, 3)
    rewrite_from(chain, 8)
    assert verify_chain(chain, trusted_public_keys()).uncovered == 3


def test_no_checkpoint_is_signed_over_a_tampered_chain(trail):
    chain = trail(5)
    sql(f"UPDATE {TABLE} SET purpose = 'x' WHERE chain = %s AND sequence = 4", [chain])  # noqa: S608
    with pytest.raises(ChainBroken) as info:
        make_checkpoint(chain)
    assert info.value.sequence == 4
    assert not Checkpoint.objects.filter(chain=chain).exists()


def test_a_forged_or_foreign_checkpoint_is_named(trail):
    chain = trail(3)
    cp = make_checkpoint(chain)
    head = ChainHead.objects.get(chain=chain)
    sql(
        f"UPDATE {Checkpoint._meta.db_table} SET signature = %s WHERE id = %s",  # noqa: S608
        [base64.b64encode(b"\0" * 64).decode(), cp.pk],
    )
    with pytest.raises(ChainBroken, match="signature is not valid") as info:
        verify_chain(chain, trusted_public_keys())
    assert info.value.sequence == cp.sequence

    # A checkpoint signed with someone else's key is not trusted either.
    other = Ed25519PrivateKey.generate()
    other_id = key_id(public_raw(other.public_key()))
    at = format_time(cp.organisation.created_at)
    message = checkpoint_message(
        chain=chain, sequence=head.sequence, entry_hash=head.entry_hash, at=at, key_id=other_id
    )
    sql(
        f"UPDATE {Checkpoint._meta.db_table} SET signature = %s, key_id = %s, at = %s "  # noqa: S608
        "WHERE id = %s",
        [base64.b64encode(other.sign(message)).decode(), other_id, at, cp.pk],
    )
    with pytest.raises(ChainBroken, match="not a trusted key"):
        verify_chain(chain, trusted_public_keys())


def test_checkpoints_are_idempotent_and_cover_every_chain(make_org):
    a, b = make_org(), make_org()
    with transaction.atomic():
        record(organisation=None, actor=None, action=AuditEvent.PURGE_FINISHED)
    made = checkpoint_all()
    assert {cp.chain for cp in made} == {str(a.pk), str(b.pk), "installation"}
    assert checkpoint_all() == []
    write_entries(a, 1)
    assert [cp.chain for cp in checkpoint_all()] == [str(a.pk)]
    summary = verify_chain(str(a.pk), trusted_public_keys())
    assert summary.signed_checkpoints == 2 and summary.uncovered == 0


def test_a_checkpoint_task_is_queued_every_n_entries(
    org, settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_CHECKPOINT_EVERY = 5  # the organisation's setup wrote 3 already
    with django_capture_on_commit_callbacks(execute=True):
        write_entries(org, 2)
    cp = Checkpoint.objects.get(chain=str(org.pk))
    assert cp.sequence == 5


def test_the_signing_key_is_kept_outside_the_database_in_a_private_file(settings):
    key = signing_key()
    path = settings.AUDIT_SIGNING_KEY_FILE
    assert path.exists()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert key.public_pem.startswith("-----BEGIN PUBLIC KEY-----")


def test_the_public_key_is_published(client):
    response = client.get("/api/v1/audit/public-key")
    assert response.status_code == 200
    body = response.json()
    key = signing_key()
    assert body["algorithm"] == "Ed25519"
    assert body["key_id"] == key.key_id
    assert base64.b64decode(body["public_key"]) == key.public_raw
