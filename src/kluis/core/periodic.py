"""Periodic background jobs without a scheduler.

Django has no scheduler, so a periodic task re-enqueues itself for its next run (`then_again`),
and the worker starts each chain at start-up unless one is already waiting (`start`). Every
periodic job is idempotent, so an extra chain, or cron running the same command, costs nothing.
"""

from __future__ import annotations

import datetime as dt

from kluis.core.clock import now


def then_again(task, every: dt.timedelta, **kwargs) -> None:
    """Enqueue `task` to run again after `every`; backends that cannot defer (tests) skip it."""
    if task.get_backend().supports_defer:
        task.using(run_after=now() + every).enqueue(**kwargs)


def start(task, **kwargs) -> bool:
    """Enqueue `task` unless a run of it is already waiting or running. True when enqueued."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: nothing to look at, enqueue
        task.enqueue(**kwargs)
        return True
    waiting = DBTaskResult.objects.filter(
        task_path=task.module_path, status__in=["READY", "RUNNING"]
    ).exists()
    if waiting:
        return False
    task.enqueue(**kwargs)
    return True
