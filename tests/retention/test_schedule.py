"""`kluis purge` and the worker's periodic task run the same purge (docs/retention.md)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kluis.cli import main
from kluis.core import clock
from kluis.retention.tasks import purge_due, schedule_purge
from tests.retention.helpers import assert_gone, readable


@pytest.mark.rule("RET-1")
def test_the_command_reports_and_deletes(world):
    rec = world.record()
    clock.advance(dt.timedelta(days=28))
    out = io.StringIO()
    call_command("purge", "--dry-run", stdout=out)
    assert f"{world.org.slug}: 1 due" in out.getvalue()
    assert readable(rec)
    out = io.StringIO()
    call_command("purge", stdout=out)
    assert "Deleted 1 recordings" in out.getvalue()
    assert_gone(rec)


def test_kluis_purge_on_the_command_line(world, capsys):
    world.record()
    clock.advance(dt.timedelta(days=28))
    assert main(["purge", "--organisation", world.org.slug]) == 0
    assert "Deleted 1 recordings" in capsys.readouterr().out


def test_an_unknown_organisation_is_a_clear_error(world):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("purge", "--organisation", "nope")


@pytest.mark.rule("RET-1")
def test_the_worker_task_purges(world):
    rec = world.record()
    clock.advance(dt.timedelta(days=28))
    result = purge_due.enqueue(reschedule=False)
    assert result.return_value["deleted"] == 1
    assert_gone(rec)


def test_schedule_purge_starts_the_chain(world):
    # The test backend runs tasks at once and cannot defer, so the chain stops after one run.
    assert schedule_purge() is True


def test_with_the_database_backend_one_chain_waits(world, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "retention"],
        }
    }
    assert schedule_purge() is True
    assert schedule_purge() is False  # one waiting run is enough
    waiting = DBTaskResult.objects.get(task_path=purge_due.module_path)
    assert waiting.queue_name == "retention" and waiting.status == "READY"
    # Running it (as the worker does) schedules the next run, an interval later.
    purge_due.call(reschedule=True)
    later = DBTaskResult.objects.filter(task_path=purge_due.module_path).order_by("-run_after")
    assert later.count() == 2 and later[0].run_after > clock.now()
