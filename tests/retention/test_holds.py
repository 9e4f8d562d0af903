"""Holds keep recordings past their term; closing the last case lets them go (RET-2, RET-3,
CPL-3)."""

from __future__ import annotations

import datetime as dt

import pytest

from kluis.core import clock
from kluis.core.problems import Conflict, KluisError, NotAllowed
from kluis.custody.models import AuditEntry
from kluis.retention import actions
from kluis.retention.models import Hold
from kluis.retention.purge import purge
from kluis.retention.terms import status
from tests.retention.helpers import assert_gone, readable
from tests.world import build_world


@pytest.mark.rule("RET-2")
@pytest.mark.parametrize("reason", Hold.Reason.values)
def test_each_hold_reason_keeps_the_recording_past_its_term(world, reason):
    rec = world.record()
    actor = world.officer if reason == Hold.Reason.LEARNING else world.privacy
    hold = actions.place_hold(rec, reason=reason, case_reference="ZAAK-1", actor=actor)
    assert status(rec).deletion_due is None
    clock.advance(dt.timedelta(days=400))
    assert purge().deleted == 0
    assert readable(rec)

    actions.release_hold(hold, note="case closed", actor=world.privacy)
    assert purge().deleted == 1
    assert_gone(rec)


@pytest.mark.rule("RET-2", "RET-3")
def test_only_the_last_release_lets_it_go(world):
    rec = world.record()
    complaint = actions.place_hold(
        rec, reason="complaint", case_reference="K-7", actor=world.coordinator
    )
    police = actions.place_hold(
        rec, reason="criminal_report", case_reference="PV-2026-1", actor=world.manager
    )
    clock.advance(dt.timedelta(days=60))
    actions.release_hold(complaint, actor=world.coordinator)
    assert purge().deleted == 0
    assert readable(rec)
    actions.release_hold(police, actor=world.manager)
    assert purge().deleted == 1
    assert_gone(rec)


@pytest.mark.rule("RET-3")
def test_released_before_the_term_it_waits_for_the_term(world):
    rec = world.record()
    hold = actions.place_hold(rec, reason="gdpr_request", case_reference="AVG-3", actor=None)
    clock.advance(dt.timedelta(days=3))
    actions.release_hold(hold, actor=world.privacy)
    assert purge().deleted == 0
    clock.advance(rec.retention_until - clock.now() - dt.timedelta(seconds=1))
    assert purge().deleted == 0
    clock.advance(dt.timedelta(seconds=1))
    assert purge().deleted == 1


@pytest.mark.rule("RET-3", "CPL-3")
def test_delete_after_handling_deletes_at_the_next_purge_before_the_term(make_world):
    world = make_world("dordrecht")
    assert world.org.policy.delete_after_handling
    rec = world.record()
    untouched = world.record()
    actions.place_hold(rec, reason="complaint", case_reference="K-9", actor=world.coordinator)
    clock.advance(dt.timedelta(days=5))
    released = actions.release_case(world.org, "K-9", note="handled", actor=world.coordinator)
    assert len(released) == 1
    assert status(rec).deletion_due == clock.now()
    report = purge()
    assert report.deleted == 1
    assert_gone(rec)
    assert readable(untouched)  # its term has not ended
    entry = AuditEntry.objects.get(action="recording.deleted", recording_id=str(rec.pk))
    assert '"grounds":"after_handling"' in entry.details_json


@pytest.mark.rule("CPL-3")
def test_handling_a_complaint_ends_its_hold(world):
    a, b = world.record(), world.record()
    for rec in (a, b):
        actions.place_hold(rec, reason="complaint", case_reference="K-1", actor=world.coordinator)
    actions.release_case(world.org, "K-1", actor=world.coordinator)
    assert not Hold.objects.active().exists()
    assert AuditEntry.objects.filter(action="hold.released").count() == 2


@pytest.mark.rule("RET-2")
def test_placing_the_same_hold_twice_is_one_hold(world):
    rec = world.record()
    one = actions.place_hold(rec, reason="complaint", case_reference="K-1", actor=world.manager)
    two = actions.place_hold(rec, reason="complaint", case_reference="K-1", actor=world.manager)
    assert one.pk == two.pk
    assert Hold.objects.count() == 1


def test_a_hold_needs_a_known_reason_and_a_case(world):
    rec = world.record()
    with pytest.raises(KluisError):
        actions.place_hold(rec, reason="curiosity", case_reference="X", actor=world.manager)
    with pytest.raises(KluisError):
        actions.place_hold(rec, reason="complaint", case_reference=" ", actor=world.manager)


@pytest.mark.rule("ORG-1", "ORG-4")
def test_who_may_place_holds(world):
    rec = world.record()
    for person in (world.outsider, world.admin, world.other_officer):
        with pytest.raises(NotAllowed):
            actions.place_hold(rec, reason="complaint", case_reference="K", actor=person)
    # The officer may keep their own recording for learning, and only for that.
    with pytest.raises(NotAllowed):
        actions.place_hold(rec, reason="complaint", case_reference="K", actor=world.officer)
    actions.place_hold(rec, reason="learning", case_reference="L-1", actor=world.officer)
    with pytest.raises(NotAllowed):
        actions.place_hold(rec, reason="learning", case_reference="L-2", actor=world.manager)


@pytest.mark.rule("RET-2")
def test_no_hold_after_the_point_of_no_return(world, monkeypatch):
    from kluis.retention import purge as purge_module

    rec = world.record()
    clock.advance(dt.timedelta(days=28))

    def crash(point, ids):
        if point == "claimed":
            raise RuntimeError("killed")

    monkeypatch.setattr(purge_module, "checkpoint", crash)
    with pytest.raises(RuntimeError):
        purge()
    with pytest.raises(Conflict):
        actions.place_hold(rec, reason="complaint", case_reference="K", actor=world.manager)


def test_holds_are_audited(world):
    rec = world.record()
    hold = actions.place_hold(rec, reason="claim", case_reference="S-1", actor=world.privacy)
    actions.release_hold(hold, note="settled", actor=world.privacy)
    actions_logged = list(
        AuditEntry.objects.filter(recording_id=str(rec.pk), action__startswith="hold.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions_logged == ["hold.placed", "hold.released"]


def test_other_organisations_are_untouched(db, frozen, stores):
    a = build_world()
    b = build_world()
    ra, rb = a.record(), b.record()
    actions.place_hold(rb, reason="complaint", case_reference="K", actor=b.coordinator)
    clock.advance(dt.timedelta(days=30))
    report = purge()
    assert report.deleted == 1
    assert_gone(ra)
    assert readable(rb)
