"""The purge as a background task: the worker runs it, then schedules the next run.

Django has no scheduler, so the task re-enqueues itself `RETENTION_PURGE_INTERVAL_MINUTES` later
(default 60). `schedule_purge()` starts the chain if no run is waiting; because the purge is
idempotent and takes a lock, an extra chain (or cron running it as well) costs nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django_tasks import task

from kluis.core.clock import now

logger = logging.getLogger(__name__)


def interval() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "RETENTION_PURGE_INTERVAL_MINUTES", 60)))


@task(queue_name="retention")
def purge_due(reschedule: bool = True) -> dict:
    """Run one purge; returns its summary (kept with the task result)."""
    from .purge import purge

    try:
        report = purge()
    finally:
        # Backends that run tasks at once (tests) cannot defer: no chain there.
        if reschedule and purge_due.get_backend().supports_defer:
            purge_due.using(run_after=now() + interval()).enqueue(reschedule=True)
    if report.braked:
        logger.warning("Purge stopped by the brake for: %s", ", ".join(report.braked))
    return {
        "run": report.run_id,
        "deleted": report.deleted,
        "resumed": report.resumed,
        "braked": report.braked,
        "failed": len(report.failed),
        "skipped": report.skipped,
    }


def schedule_purge() -> bool:
    """Enqueue the periodic purge unless one is already waiting (call from the worker start)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: nothing to look at, enqueue
        purge_due.enqueue(reschedule=True)
        return True
    waiting = DBTaskResult.objects.filter(
        task_path=purge_due.module_path, status__in=["READY", "RUNNING"]
    ).exists()
    if waiting:
        return False
    purge_due.enqueue(reschedule=True)
    return True
