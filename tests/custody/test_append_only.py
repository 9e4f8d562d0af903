"""AUD-1 and AUD-2: entries are written with their change or not at all, and never rewritten."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from kluis.custody.events import AuditEvent
from kluis.custody.log import record
from kluis.custody.models import AuditEntry, Checkpoint
from kluis.organisations import actions
from kluis.organisations.models import Team


def refused(fn) -> str:
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        fn()
    return str(info.value)


@pytest.mark.django_db
@pytest.mark.rule("AUD-2")
def test_the_database_refuses_update_and_delete_of_entries(trail):
    chain = trail(3)
    entry = AuditEntry.objects.filter(chain=chain).last()
    assert "append-only" in refused(
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    )
    assert "append-only" in refused(lambda: AuditEntry.objects.filter(pk=entry.pk).delete())
    entry.purpose = "changed"
    assert "append-only" in refused(lambda: entry.save())
    table = AuditEntry._meta.db_table

    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET action = 'x'")  # noqa: S608

    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608

    assert "append-only" in refused(raw_update)
    assert "append-only" in refused(raw_delete)
    assert AuditEntry.objects.get(pk=entry.pk).purpose == ""


@pytest.mark.rule("AUD-2")
def test_the_database_refuses_update_and_delete_of_checkpoints(trail):
    from kluis.custody.checkpoints import checkpoint_all

    trail(2)
    cp = checkpoint_all()[0]
    assert "append-only" in refused(
        lambda: Checkpoint.objects.filter(pk=cp.pk).update(entry_hash="0" * 64)
    )
    assert "append-only" in refused(lambda: Checkpoint.objects.filter(pk=cp.pk).delete())


@pytest.mark.rule("AUD-1")
@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the action's transaction"):
        record(organisation=None, actor=None, action=AuditEvent.TEAM_ADDED)
    assert not AuditEntry.objects.exists()


@pytest.mark.rule("AUD-1")
def test_a_failed_action_leaves_no_entry(org, make_person):
    before = AuditEntry.objects.count()
    with pytest.raises(Exception, match="name"):
        actions.add_team(org, name="")  # invalid: refused before anything is written
    with pytest.raises(RuntimeError, match="storage"), transaction.atomic():
        team = Team.objects.create(organisation=org, name="Nacht")
        record(organisation=org, actor=None, action="team.added", obj=team)
        raise RuntimeError("storage unavailable")  # the action fails after writing its entry
    assert AuditEntry.objects.count() == before
    assert not Team.objects.filter(name="Nacht").exists()


@pytest.mark.rule("AUD-1")
def test_an_entry_never_exists_without_its_change(org):
    """When writing the entry fails, the change it describes is undone with it."""
    with pytest.raises(TypeError), transaction.atomic():
        Team.objects.create(organisation=org, name="Dag")
        record(organisation=org, actor=None, action="team.added", details={"x": object()})
    assert not Team.objects.filter(name="Dag").exists()
    team = actions.add_team(org, name="Avond")
    entry = AuditEntry.objects.get(object_type="organisations.team", object_id=str(team.pk))
    assert entry.action == "team.added" and entry.details == {"name": "Avond"}


@pytest.mark.rule("AUD-1")
def test_an_entry_says_who_what_when_and_why(org, make_person):
    from kluis.core import clock
    from kluis.organisations.models import Role

    privacy = make_person(org, Role.PRIVACY_OFFICER, "privacy")
    moment = clock.now()
    with clock.frozen_at(moment), transaction.atomic():
        entry = record(
            organisation=org,
            actor=privacy,
            action=AuditEvent.VIEWING_PLAY,
            object_type="recordings.recording",
            object_id="rec-7",
            purpose="complaint",
            details={"session": 12, "when": moment, "ratio": 0.5},
        )
    entry.refresh_from_db()
    assert entry.actor == privacy and entry.actor_label == "privacy"
    assert entry.at == moment
    assert entry.purpose == "complaint"
    assert entry.recording_id == "rec-7"
    from django.core.serializers.json import DjangoJSONEncoder

    when = DjangoJSONEncoder().default(moment)
    assert entry.details == {"session": 12, "when": when, "ratio": 0.5}


def test_details_that_are_not_json_are_refused(org):
    with pytest.raises(ValueError), transaction.atomic():
        record(
            organisation=org, actor=None, action=AuditEvent.TEAM_ADDED, details={"n": float("nan")}
        )
    with pytest.raises(ValueError, match="longer than"), transaction.atomic():
        record(organisation=org, actor=None, action=AuditEvent.TEAM_ADDED, purpose="x" * 81)


@pytest.mark.rule("AUD-1")
def test_an_unregistered_event_type_is_refused_and_writes_nothing(org):
    """Audit event names used to be free text: a typo or an undocumented event entered the trail."""
    from kluis.custody.events import UnknownAuditEvent

    before = AuditEntry.objects.count()
    with pytest.raises(UnknownAuditEvent), transaction.atomic():
        record(organisation=org, actor=None, action="test.event")
    assert AuditEntry.objects.count() == before


def test_every_registered_event_has_a_label():
    from kluis.custody.events import ALL, LABELS

    assert set(LABELS) == ALL
