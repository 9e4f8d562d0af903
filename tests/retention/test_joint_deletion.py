"""No single employee can delete footage: early deletion or editing is a joint decision of the
involved officer and their manager or deputy (RET-5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from kluis.core import clock
from kluis.core.problems import NotAllowed
from kluis.custody.models import AuditEntry
from kluis.organisations.models import ReportingLine
from kluis.retention import actions
from kluis.retention.models import DeletionDecision, EarlyDeletion
from kluis.retention.purge import purge
from tests.retention.helpers import assert_gone, readable

pytestmark = pytest.mark.rule("RET-5")


def test_officer_and_manager_together_delete_early(world):
    rec = world.record()
    decision = actions.propose_decision(
        rec, kind="delete", reason="recorded by mistake in a changing room", actor=world.officer
    )
    assert purge().deleted == 0  # one approval does nothing
    assert readable(rec)
    actions.approve_decision(decision, actor=world.manager)
    decision.refresh_from_db()
    assert decision.state == DeletionDecision.State.APPROVED
    assert decision.manager == world.manager
    assert purge().deleted == 1
    assert_gone(rec)
    entry = AuditEntry.objects.get(action="recording.deleted", recording_id=str(rec.pk))
    assert '"grounds":"joint_decision"' in entry.details_json


def test_manager_proposes_after_privacy_advice_and_the_officer_approves(world):
    rec = world.record()
    decision = actions.propose_decision(
        rec, kind="delete", reason="bystander's child filmed", actor=world.manager
    )
    actions.record_privacy_advice(
        decision, advice="Delete: no purpose.", privacy_officer=world.privacy, actor=world.manager
    )
    actions.approve_decision(decision, actor=world.officer)
    decision.refresh_from_db()
    assert decision.privacy_officer == world.privacy
    assert decision.state == DeletionDecision.State.APPROVED
    assert AuditEntry.objects.filter(action="deletion_decision.advice").count() == 1


def test_the_deputy_on_that_day_may_take_the_managers_part(world):
    rec = world.record()
    decision = actions.propose_decision(rec, kind="delete", reason="r", actor=world.officer)
    actions.approve_decision(decision, actor=world.deputy)
    assert DeletionDecision.objects.get(pk=decision.pk).manager == world.deputy


def test_one_person_cannot_approve_twice(world):
    rec = world.record()
    decision = actions.propose_decision(rec, kind="delete", reason="r", actor=world.officer)
    with pytest.raises(NotAllowed):
        actions.approve_decision(decision, actor=world.officer)
    decision = actions.propose_decision(rec, kind="edit", reason="r", actor=world.manager)
    with pytest.raises(NotAllowed):
        actions.approve_decision(decision, actor=world.manager)
    with pytest.raises(NotAllowed):  # manager and deputy are the same side
        actions.approve_decision(decision, actor=world.deputy)
    assert not EarlyDeletion.objects.exists()
    assert not DeletionDecision.objects.filter(state="approved").exists()


@pytest.mark.rule("ORG-1")
def test_outsiders_cannot_propose_or_approve(world):
    rec = world.record()
    for person in (
        world.outsider,
        world.admin,
        world.privacy,
        world.other_officer,
        world.coordinator,
    ):
        with pytest.raises(NotAllowed):
            actions.propose_decision(rec, kind="delete", reason="r", actor=person)
    decision = actions.propose_decision(rec, kind="delete", reason="r", actor=world.officer)
    for person in (world.outsider, world.admin, world.privacy, world.other_officer):
        with pytest.raises(NotAllowed):
            actions.approve_decision(decision, actor=person)
    with pytest.raises(NotAllowed):
        actions.propose_decision(rec, kind="delete", reason="r", actor=None)
    assert purge().deleted == 0


def test_a_former_manager_no_longer_decides(world):
    rec = world.record()
    line = ReportingLine.objects.get(officer=world.officer, manager=world.manager)
    line.valid_until = clock.today() - dt.timedelta(days=1)  # test set-up: the line ended
    line.save()
    decision = actions.propose_decision(rec, kind="delete", reason="r", actor=world.officer)
    with pytest.raises(NotAllowed):
        actions.approve_decision(decision, actor=world.manager)


def test_the_database_refuses_one_person_on_both_sides(world):
    rec = world.record()
    decision = actions.propose_decision(rec, kind="delete", reason="r", actor=world.officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeletionDecision.objects.filter(pk=decision.pk).update(manager=world.officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeletionDecision.objects.filter(pk=decision.pk).update(state="approved")


def test_a_hold_still_wins_over_an_approved_deletion(world):
    rec = world.record()
    actions.place_hold(rec, reason="criminal_report", case_reference="PV-1", actor=world.manager)
    decision = actions.propose_decision(rec, kind="delete", reason="r", actor=world.officer)
    actions.approve_decision(decision, actor=world.manager)
    assert purge().deleted == 0
    assert readable(rec)


def test_refused_decisions_change_nothing(world):
    rec = world.record()
    decision = actions.propose_decision(rec, kind="delete", reason="r", actor=world.officer)
    actions.refuse_decision(decision, reason="needed for a complaint", actor=world.manager)
    with pytest.raises(Exception):  # noqa: B017 (closed decisions cannot be approved)
        actions.approve_decision(decision, actor=world.manager)
    assert purge().deleted == 0


def test_editing_needs_the_same_joint_decision(world):
    rec = world.record()
    assert not actions.edit_approved(rec)
    decision = actions.propose_decision(
        rec, kind="edit", reason="blur a child", actor=world.manager
    )
    assert not actions.edit_approved(rec)
    actions.approve_decision(decision, actor=world.officer)
    assert actions.edit_approved(rec)
    assert purge().deleted == 0  # editing deletes nothing
