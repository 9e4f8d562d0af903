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

from kluis.core import periodic

from .purge import purge

logger = logging.getLogger(__name__)


def interval() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "RETENTION_PURGE_INTERVAL_MINUTES", 60)))


@task(queue_name="retention")
def purge_due(reschedule: bool = True) -> dict:
    """Run one purge; returns its summary (kept with the task result)."""
    try:
        report = purge()
    finally:
        if reschedule:
            periodic.then_again(purge_due, interval(), reschedule=True)
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
    return periodic.start(purge_due, reschedule=True)
