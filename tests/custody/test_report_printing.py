"""AUD-1, AUD-3: printing a custody report is an action, and itself an entry of the chain."""

from __future__ import annotations

import pytest

from kluis.core.problems import NotAllowed
from kluis.custody import actions
from kluis.custody.models import AuditEntry, chain_key
from tests.factories import make_recording

pytestmark = [pytest.mark.django_db, pytest.mark.rule("AUD-1", "AUD-3")]


def _printed(recording) -> list[tuple[str, dict]]:
    entries = AuditEntry.objects.filter(
        action="custody.report_printed", recording_id=str(recording.pk)
    )
    return [(e.actor_label, e.details) for e in entries.order_by("sequence")]


def test_the_print_is_in_the_report_it_prints(org, people):
    recording = make_recording(org, people.officer)
    report = actions.print_custody_report(recording, actor=people.privacy, fmt="pdf")
    assert _printed(recording) == [("privacy", {"format": "pdf"})]
    assert report.entries[-1].action == "custody.report_printed"


def test_a_person_without_the_permission_is_refused_and_nothing_is_written(org, people):
    recording = make_recording(org, people.officer)
    for person in (people.officer, people.other_manager, people.admin, people.supplier):
        with pytest.raises(NotAllowed):
            actions.print_custody_report(recording, actor=person, fmt="html")
    assert _printed(recording) == []


def test_signing_the_chain_heads_twice_signs_once(org, people):
    make_recording(org, people.officer)
    first = actions.sign_chain_heads([chain_key(org)])
    assert [cp.chain for cp in first] == [chain_key(org)]
    assert actions.sign_chain_heads([chain_key(org)]) == []
    everything = actions.sign_chain_heads()  # every chain: the others' heads, not this one again
    assert chain_key(org) not in {cp.chain for cp in everything}
