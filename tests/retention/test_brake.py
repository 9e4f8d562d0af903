"""The brake: mass deletion by a wrong setting costs a question to two people, not the archive."""

from __future__ import annotations

import datetime as dt

import pytest

from kluis.core import clock
from kluis.core.problems import Conflict, NotAllowed
from kluis.custody.models import AuditEntry
from kluis.recordings.models import Recording
from kluis.retention import actions
from kluis.retention.brake import usual_volume
from kluis.retention.models import MassDeletionRequest
from kluis.retention.purge import purge
from kluis.retention.terms import preview_retention_change, status
from tests.retention.helpers import readable

DAY = dt.timedelta(days=1)


def stored(world):
    return Recording.objects.filter(organisation=world.org, state="stored").count()


@pytest.mark.rule("RET-1")
def test_a_policy_change_that_makes_recordings_due_shows_the_number_first(world):
    now = clock.now()
    old = [world.record(now - dt.timedelta(days=d)) for d in (20, 16)]
    young = world.record(now - dt.timedelta(days=3))
    held = world.record(now - dt.timedelta(days=18))
    actions.place_hold(held, reason="complaint", case_reference="K", actor=world.coordinator)

    preview = preview_retention_change(world.org, 14)
    assert (preview.newly_due, preview.newly_past_term_held) == (2, 1)
    with pytest.raises(Conflict) as refused:
        actions.change_retention_days(world.org, 14, actor=world.admin)
    assert refused.value.extra["newly_due"] == 2
    world.org.refresh_from_db()
    assert world.org.policy.retention_days == 28  # nothing changed
    with pytest.raises(Conflict):
        actions.change_retention_days(world.org, 14, actor=world.admin, confirm_due=5)

    actions.change_retention_days(world.org, 14, actor=world.admin, confirm_due=2)
    world.org.refresh_from_db()
    assert world.org.policy.retention_days == 14
    young.refresh_from_db()
    assert young.retention_until == young.started_at + 14 * DAY
    assert purge().deleted == 2
    assert all(not readable(r) for r in old)
    assert readable(held) and readable(young)
    entry = AuditEntry.objects.get(action="retention.terms_recomputed")
    assert '"confirmed_due":2' in entry.details_json


def test_a_longer_period_needs_no_confirmation_and_extends_every_term(world):
    rec = world.record()
    actions.change_retention_days(world.org, 60, actor=world.admin)
    rec.refresh_from_db()
    assert rec.retention_until == rec.started_at + 60 * DAY
    assert status(rec).deletion_due == rec.started_at + 60 * DAY
    clock.advance(30 * DAY)
    assert purge().deleted == 0


def test_only_functional_administrators_change_the_policy(world):
    with pytest.raises(NotAllowed):
        actions.change_retention_days(world.org, 60, actor=world.manager)


def test_usual_volume_is_the_median_of_daily_deletions(world, settings):
    settings.RETENTION_BRAKE_DAYS = 5
    settings.RETENTION_BRAKE_MINIMUM = 2
    settings.RETENTION_BRAKE_FACTOR = 3
    # Two recordings a day, recorded 28 days before each of the next five days.
    start = clock.now() - 28 * DAY
    for day in range(5):
        for _ in range(2):
            world.record(start + day * DAY)
    for _day in range(5):
        assert purge().deleted == 2
        clock.advance(DAY)
    volume = usual_volume(world.org)
    assert volume.median_daily == 2
    assert volume.threshold == 6


@pytest.mark.rule("RET-1")
def test_a_purge_far_above_the_usual_volume_stops_until_admin_and_manager_confirm(world, settings):
    settings.RETENTION_BRAKE_MINIMUM = 5
    recs = [world.record() for _ in range(7)]
    clock.advance(29 * DAY)

    report = purge()
    assert report.deleted == 0
    assert report.braked[world.org.slug]["due"] == 7
    assert all(readable(r) for r in recs)
    request = MassDeletionRequest.objects.get()
    assert (request.due_count, request.threshold) == (7, 5)
    assert AuditEntry.objects.filter(action="purge.braked").count() == 1
    # Running again asks again for the same number: no second request.
    purge()
    assert MassDeletionRequest.objects.count() == 1

    # Nobody can release the brake alone, nor can outsiders or officers.
    for person in (world.officer, world.outsider, world.privacy):
        with pytest.raises(NotAllowed):
            actions.confirm_mass_deletion(request, actor=person)
    actions.confirm_mass_deletion(request, actor=world.admin)
    with pytest.raises(NotAllowed):
        actions.confirm_mass_deletion(request, actor=world.admin)
    assert purge().deleted == 0
    actions.confirm_mass_deletion(request, actor=world.manager)

    assert purge().deleted == 7
    request.refresh_from_db()
    assert request.state == MassDeletionRequest.State.USED
    assert stored(world) == 0


def test_a_confirmation_covers_only_the_number_confirmed(world, settings):
    settings.RETENTION_BRAKE_MINIMUM = 5
    for _ in range(6):
        world.record()
    clock.advance(29 * DAY)
    purge()
    request = MassDeletionRequest.objects.get()
    actions.confirm_mass_deletion(request, actor=world.admin)
    actions.confirm_mass_deletion(request, actor=world.manager)
    world.record(clock.now() - 29 * DAY)  # one more became due meanwhile
    report = purge()
    assert report.deleted == 0 and report.braked
    assert MassDeletionRequest.objects.filter(state="waiting", due_count=7).exists()


def test_normal_daily_volume_passes_the_brake(world, settings):
    settings.RETENTION_BRAKE_MINIMUM = 5
    for _ in range(5):
        world.record()
    clock.advance(29 * DAY)
    assert purge().deleted == 5
    assert not MassDeletionRequest.objects.exists()
