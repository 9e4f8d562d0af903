"""AUD-2: a chain verified in ranges (in parallel processes) gives the verdicts of one pass."""

from __future__ import annotations

import pytest

from kluis.custody.checkpoints import make_checkpoint
from kluis.custody.keys import trusted_public_keys
from kluis.custody.models import AuditEntry
from kluis.custody.standalone_verify import ChainBroken
from kluis.custody.verify import verify_chain

from .conftest import sql

pytestmark = [pytest.mark.rule("AUD-2")]

TABLE = AuditEntry._meta.db_table


def verdict(chain, range_size, settings) -> ChainBroken:
    settings.AUDIT_VERIFY_RANGE = range_size
    with pytest.raises(ChainBroken) as info:
        verify_chain(chain, trusted_public_keys())
    return info.value


def change(chain, sequence):
    sql(
        f"UPDATE {TABLE} SET actor_label = 'iemand anders' WHERE chain = %s AND sequence = %s",  # noqa: S608
        [chain, sequence],
    )


@pytest.mark.django_db
def test_a_changed_entry_in_the_second_range_is_named(trail, settings):
    chain = trail(10)  # 13 entries: ranges of 4 are #1-4, #5-8, #9-12, #13
    make_checkpoint(chain)
    change(chain, 6)
    parallel = verdict(chain, 4, settings)
    assert (parallel.chain, parallel.sequence) == (chain, 6)
    assert "changed" in parallel.reason
    assert str(parallel) == str(verdict(chain, 1_000_000, settings))


@pytest.mark.django_db
@pytest.mark.parametrize("sequence", [4, 5, 6, 13])
def test_a_deleted_entry_at_a_range_boundary_is_named_as_in_one_pass(trail, settings, sequence):
    chain = trail(10)
    sql(f"DELETE FROM {TABLE} WHERE chain = %s AND sequence = %s", [chain, sequence])  # noqa: S608
    assert str(verdict(chain, 4, settings)) == str(verdict(chain, 1_000_000, settings))


@pytest.mark.django_db
def test_a_checkpoint_before_a_break_in_a_later_range_is_checked_first(trail, settings):
    chain = trail(6)  # 9 entries
    make_checkpoint(chain)
    trail(4)
    sql(f"UPDATE {TABLE} SET entry_hash = %s WHERE chain = %s AND sequence = 9", ["0" * 64, chain])  # noqa: S608
    one_pass = verdict(chain, 1_000_000, settings)
    assert str(verdict(chain, 4, settings)) == str(one_pass)
    assert str(verdict(chain, 2, settings)) == str(one_pass)
