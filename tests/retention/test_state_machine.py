"""A stateful property test of holds, releases, joint decisions, time and (killed) purges.

Invariants, after every step: a recording under an active hold or before its deletion date is
never deleted or even claimed for deletion; "deleted" in the database means key and object
gone; and after one complete purge every expired, unheld recording is gone (RET-1..RET-5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from kluis.core import clock
from kluis.core.problems import Conflict
from kluis.devices.keystore import get_keystore
from kluis.recordings.models import Recording
from kluis.recordings.storage import get_storage
from kluis.retention import actions
from kluis.retention import purge as purge_module
from kluis.retention.models import Deletion
from tests.retention.conftest import T0
from tests.retention.helpers import readable
from tests.retention.test_crash import POINTS, Killed, kill_at
from tests.world import build_world

REASONS = ["criminal_report", "complaint", "gdpr_request", "claim"]


@dataclass
class Model:
    pk: object
    started_at: dt.datetime
    days: int
    holds: set = field(default_factory=set)
    early: bool = False
    claimed: bool = False

    def due(self, at) -> bool:
        return not self.holds and (self.early or at >= self.started_at + dt.timedelta(self.days))


class RetentionMachine(RuleBasedStateMachine):
    worlds: dict = {}

    holds = Bundle("holds")

    def __init__(self):
        super().__init__()
        self.recs: dict = {}

    @initialize(preset=st.sampled_from(["alphen", "dordrecht"]))
    def pick(self, preset):
        # Every example starts at T0, while people, reporting lines and shifts are valid.
        clock.advance(T0 - clock.now())
        if preset not in self.worlds:
            self.worlds[preset] = build_world(preset)
        self.world = self.worlds[preset]
        self.after_handling = self.world.org.policy.delete_after_handling

    def models(self):
        return list(self.recs.values())  # in creation order, so draws replay exactly

    def live(self):
        return [m for m in self.recs.values() if not m.claimed]

    @rule(age_days=st.integers(0, 40), minutes=st.integers(0, 1439))
    def record(self, age_days, minutes):
        if len(self.recs) >= 6:
            return
        started = clock.now() - dt.timedelta(days=age_days, minutes=minutes)
        # The camera docks as a real one does, at the end of the shift the footage is from: a
        # camera that docks weeks-old footage after newer docks has a reset clock, which ingest
        # rightly flags (its term then counts from ingest; tests/recordings cover that case).
        with clock.frozen_at(min(started + dt.timedelta(hours=1), clock.now())):
            rec = self.world.record(started)
        self.recs[rec.pk] = Model(rec.pk, rec.started_at, self.world.org.policy.retention_days)

    @precondition(lambda self: self.recs)
    @rule(target=holds, data=st.data(), reason=st.sampled_from(REASONS))
    def place_hold(self, data, reason):
        model = data.draw(st.sampled_from(self.models()))
        rec = Recording.objects.get(pk=model.pk)
        try:
            hold = actions.place_hold(
                rec,
                reason=reason,
                case_reference=f"Z-{len(model.holds)}",
                actor=self.world.coordinator,
            )
        except Conflict:
            assert model.claimed, "a hold was refused on a recording not being deleted"
            return None
        assert not model.claimed, "a hold was placed past the point of no return"
        model.holds.add(hold.pk)
        return (model.pk, hold.pk)

    @rule(entry=consumes(holds))
    def release_hold(self, entry):
        if entry is None:
            return
        pk, hold_pk = entry
        from kluis.retention.models import Hold

        actions.release_hold(Hold.objects.get(pk=hold_pk), actor=self.world.coordinator)
        model = self.recs[pk]
        model.holds.discard(hold_pk)
        if not model.holds and self.after_handling:
            model.early = True

    @precondition(lambda self: self.live())
    @rule(data=st.data())
    def joint_deletion(self, data):
        model = data.draw(st.sampled_from(self.live()))
        rec = Recording.objects.get(pk=model.pk)
        assert rec.officer_id == self.world.officer.pk  # the camera's shift covers all time here
        decision = actions.propose_decision(
            rec, kind="delete", reason="r", actor=self.world.officer
        )
        actions.approve_decision(decision, actor=self.world.manager)
        model.early = True

    @rule(hours=st.integers(1, 24 * 20))
    def advance(self, hours):
        clock.advance(dt.timedelta(hours=hours))

    def _note_claims(self, at):
        for pk in Deletion.objects.filter(recording_id__in=list(self.recs)).values_list(
            "pk", flat=True
        ):
            model = self.recs[pk]
            if not model.claimed:
                assert model.due(at), "a recording that was not due was claimed for deletion"
                model.claimed = True

    @rule()
    def purge(self):
        at = clock.now()
        report = purge_module.purge(organisation=self.world.org)
        assert report.ok, report.failed
        self._note_claims(at)
        for model in self.models():
            rec = Recording.objects.get(pk=model.pk)
            if model.due(at) or model.claimed:
                assert rec.state == Recording.State.SHREDDED, "an expired recording survived"
                assert not readable(rec)
            else:
                assert rec.state == Recording.State.STORED
                assert readable(rec)

    @rule(point=st.sampled_from(POINTS))
    def purge_killed(self, point):
        at = clock.now()
        purge_module.checkpoint = kill_at(point)
        try:
            purge_module.purge(organisation=self.world.org)
        except Killed:
            pass
        finally:
            purge_module.checkpoint = lambda where, ids: None
        self._note_claims(at)

    @invariant()
    def held_and_unexpired_recordings_are_intact(self):
        for model in self.models():
            rec = Recording.objects.get(pk=model.pk)
            key = get_keystore().exists(rec.data_key_name)
            obj = get_storage(rec.storage_url).exists(rec.storage_key)
            if rec.state == Recording.State.SHREDDED:
                assert not key and not obj, "the database says deleted but footage remains"
            if model.holds:
                assert not model.claimed and key and obj, "a held recording lost footage"
            if not model.claimed:
                assert key and obj, "footage vanished outside the purge"


@pytest.mark.slow
@pytest.mark.rule("RET-1", "RET-2", "RET-3", "RET-4", "RET-5")
def test_retention_state_machine(db, frozen, stores, settings):
    settings.RETENTION_BRAKE_MINIMUM = 10**6  # the brake has its own tests
    RetentionMachine.worlds = {}
    run_state_machine_as_test(
        RetentionMachine,
        settings=hypothesis_settings(
            max_examples=20,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
