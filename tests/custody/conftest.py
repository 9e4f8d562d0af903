"""Fixtures of the audit-trail tests: a trail of entries, and a way around the triggers.

Tampering tests drop the append-only triggers the way an attacker who owns the database would,
and put them back afterwards; the chain must still show the change.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from kluis.custody import triggers
from kluis.custody.log import record
from kluis.custody.models import chain_key
from kluis.custody.verify import iter_entries
from kluis.organisations.models import Role
from tests.factories import make_reporting_line


def write_entries(organisation, n: int, *, action: str = "team.added", **extra) -> list:
    """n entries, each in its own transaction as actions write them."""
    entries = []
    for i in range(n):
        with transaction.atomic():
            entries.append(
                record(
                    organisation=organisation,
                    actor=None,
                    action=action,
                    details={"i": i, **extra.get("details", {})},
                    **{k: v for k, v in extra.items() if k != "details"},
                )
            )
    return entries


@pytest.fixture
def trail(org):
    """trail(n) -> the organisation's chain key after appending n entries to it."""

    def make(n: int = 8, organisation=None) -> str:
        target = organisation or org
        write_entries(target, n)
        return chain_key(target)

    return make


@contextlib.contextmanager
def triggers_dropped():
    triggers.drop(connection)
    try:
        yield
    finally:
        triggers.create(connection)


def sql(statement: str, params=()) -> None:
    """Raw SQL, as someone with database access would run it."""
    with triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def export_lines(chain: str) -> list[bytes]:
    import io

    from kluis.custody.verify import export

    buf = io.BytesIO()
    export(buf, [chain])
    return buf.getvalue().splitlines(keepends=True)


def entry_sequences(chain: str) -> list[int]:
    return [row[0] for row in iter_entries(chain)]


@pytest.fixture
def people(org, make_person):
    officer = make_person(org, Role.OFFICER, "officer")
    manager = make_person(org, Role.MANAGER, "manager")
    deputy = make_person(org, Role.DEPUTY_MANAGER, "deputy")
    make_reporting_line(org, officer, manager)
    make_reporting_line(org, officer, deputy, kind="deputy")
    return SimpleNamespace(
        officer=officer,
        manager=manager,
        deputy=deputy,
        other_manager=make_person(org, Role.MANAGER, "other-manager"),
        privacy=make_person(org, Role.PRIVACY_OFFICER, "privacy"),
        admin=make_person(org, Role.FUNCTIONAL_ADMIN, "admin"),
        supplier=make_person(org, Role.SUPPLIER, "supplier"),
    )
