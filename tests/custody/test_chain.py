"""AUD-2: any change to the trail in the database shows, and verification names where."""

from __future__ import annotations

import pytest
from django.db import transaction

from kluis.custody.events import AuditEvent
from kluis.custody.keys import trusted_public_keys
from kluis.custody.log import record
from kluis.custody.models import AuditEntry, ChainHead
from kluis.custody.standalone_verify import GENESIS_HASH, ChainBroken
from kluis.custody.verify import verify_all, verify_chain

from .conftest import entry_sequences, sql

pytestmark = [pytest.mark.django_db, pytest.mark.rule("AUD-2")]

TABLE = AuditEntry._meta.db_table


def broken(chain) -> ChainBroken:
    with pytest.raises(ChainBroken) as info:
        verify_chain(chain, trusted_public_keys())
    return info.value


def test_an_untouched_trail_verifies(trail):
    chain = trail(10)
    summary = verify_chain(chain, trusted_public_keys())
    assert summary.entries == 13  # the organisation's own setup wrote three
    assert entry_sequences(chain) == list(range(1, 14))
    first = AuditEntry.objects.get(chain=chain, sequence=1)
    assert first.prev_hash == GENESIS_HASH
    for before, after in zip(
        AuditEntry.objects.filter(chain=chain).order_by("sequence"),
        AuditEntry.objects.filter(chain=chain).order_by("sequence")[1:],
        strict=False,
    ):
        assert after.prev_hash == before.entry_hash
    assert [s.chain for s in verify_all(trusted_public_keys())]  # every chain, none broken


@pytest.mark.parametrize(
    "column,value,position",
    [
        ("action", "'recording.viewed'", 1),
        ("actor_label", "'someone else'", 13),
        ("purpose", "'complaint'", 6),
        ("details_json", "'{\"i\":99}'", 13),
        ("object_id", "'42'", 2),
        ("at", "'2020-01-01 00:00:00'", 7),
        ("organisation_id", "NULL", 9),
    ],
)
def test_changing_any_field_of_any_entry_is_named(trail, column, value, position):
    chain = trail(10)
    sql(
        f"UPDATE {TABLE} SET {column} = {value} WHERE chain = %s AND sequence = %s",  # noqa: S608
        [chain, position],
    )
    problem = broken(chain)
    assert problem.sequence == position
    assert "changed" in problem.reason


@pytest.mark.parametrize("position", [1, 7, 12])
def test_deleting_an_entry_is_named(trail, position):
    chain = trail(10)
    sql(f"DELETE FROM {TABLE} WHERE chain = %s AND sequence = %s", [chain, position])  # noqa: S608
    problem = broken(chain)
    assert problem.sequence == position
    assert "missing" in problem.reason


def test_deleting_the_last_entry_shows_against_the_head(trail):
    chain = trail(5)
    sql(f"DELETE FROM {TABLE} WHERE chain = %s AND sequence = 8", [chain])  # noqa: S608
    problem = broken(chain)
    assert problem.sequence == 8
    assert "shortened" in problem.reason


def test_deleting_the_tail_and_moving_the_head_back_shows_against_a_checkpoint(trail):
    from kluis.custody.checkpoints import checkpoint_all

    chain = trail(5)
    checkpoint_all()
    sql(f"DELETE FROM {TABLE} WHERE chain = %s AND sequence > 5", [chain])  # noqa: S608
    row = AuditEntry.objects.get(chain=chain, sequence=5)
    ChainHead.objects.filter(chain=chain).update(sequence=5, entry_hash=row.entry_hash)
    problem = broken(chain)
    assert problem.sequence == 8
    assert "shortened" in problem.reason


def test_inserting_an_entry_is_named(trail):
    """An entry slipped in as #5, later ones renumbered: #5 no longer follows #4's hash... or,
    if the intruder computed #5 correctly, the old #5 (now #6) no longer matches its hash."""
    chain = trail(8)
    sql(
        f"UPDATE {TABLE} SET sequence = sequence + 1000 WHERE chain = %s AND sequence >= 5",  # noqa: S608
        [chain],
    )
    sql(
        f"UPDATE {TABLE} SET sequence = sequence - 999 WHERE chain = %s AND sequence > 1000",  # noqa: S608
        [chain],
    )
    four = AuditEntry.objects.get(chain=chain, sequence=4)
    # INSERT needs no trigger bypass: appending is allowed, only through record() is it right.
    AuditEntry.objects.create(
        chain=chain,
        sequence=5,
        at=four.at,
        organisation=four.organisation,
        actor_label="intruder",
        action=AuditEvent.TEAM_ADDED,
        prev_hash=four.entry_hash,
        entry_hash="f" * 64,
    )
    problem = broken(chain)
    assert problem.sequence == 5
    assert "changed" in problem.reason
    # With a correct hash for the intruder, the renumbered entry after it is the one that breaks.
    from kluis.custody.verify import iter_entries

    body = next(b for s, b, *_ in iter_entries(chain) if s == 5)
    import hashlib

    sql(
        f"UPDATE {TABLE} SET entry_hash = %s WHERE chain = %s AND sequence = 5",  # noqa: S608
        [hashlib.sha256(body).hexdigest(), chain],
    )
    problem = broken(chain)
    assert problem.sequence == 6
    assert "changed" in problem.reason


def test_swapping_two_entries_is_named(trail):
    chain = trail(8)
    sql(f"UPDATE {TABLE} SET sequence = 1000 WHERE chain = %s AND sequence = 6", [chain])  # noqa: S608
    sql(f"UPDATE {TABLE} SET sequence = 6 WHERE chain = %s AND sequence = 7", [chain])  # noqa: S608
    sql(f"UPDATE {TABLE} SET sequence = 7 WHERE chain = %s AND sequence = 1000", [chain])  # noqa: S608
    problem = broken(chain)
    assert problem.sequence == 6


def test_rewriting_hashes_forward_still_breaks_the_link_or_the_head(trail):
    """Changing #4 and recomputing its own hash leaves #5 pointing at the old hash."""
    chain = trail(5)
    from kluis.custody.verify import iter_entries

    sql(f"UPDATE {TABLE} SET action = 'x' WHERE chain = %s AND sequence = 4", [chain])  # noqa: S608
    import hashlib

    body = next(b for s, b, *_ in iter_entries(chain) if s == 4)
    sql(
        f"UPDATE {TABLE} SET entry_hash = %s WHERE chain = %s AND sequence = 4",  # noqa: S608
        [hashlib.sha256(body).hexdigest(), chain],
    )
    problem = broken(chain)
    assert problem.sequence == 5
    assert "does not follow entry #4" in problem.reason


def test_a_hidden_recording_index_is_named(trail, org):
    with transaction.atomic():
        record(
            organisation=org,
            actor=None,
            action=AuditEvent.RECORDING_INGESTED,
            object_type="recordings.recording",
            object_id="rec-1",
        )
    chain = trail(0)
    sql(f"UPDATE {TABLE} SET recording_id = '' WHERE chain = %s AND sequence = 4", [chain])  # noqa: S608
    problem = broken(chain)
    assert problem.sequence == 4
    assert "recording index" in problem.reason


def test_chains_of_organisations_are_separate(make_org):
    from .conftest import write_entries

    a, b = make_org(), make_org()
    write_entries(a, 3)
    write_entries(b, 2)
    assert AuditEntry.objects.filter(organisation=a).count() == 6
    assert entry_sequences(str(b.pk)) == [1, 2, 3, 4, 5]
    with transaction.atomic():
        system = record(organisation=None, actor=None, action=AuditEvent.PURGE_FINISHED)
    assert system.chain == "installation"
    assert all(s.entries for s in verify_all(trusted_public_keys()))
