"""Background jobs of the reports app (django-tasks)."""

import datetime as dt

from django_tasks import task

from kluis.core import periodic

from .actions import send_reminders

#: How often the worker looks for missing reports; a reminder goes out an hour before the end.
EVERY = dt.timedelta(minutes=5)


@task(queue_name="default")
def send_report_reminders(reschedule: bool = True) -> int:
    """Reminders for missing incident reports; safe to run as often as wanted."""
    try:
        return send_reminders()
    finally:
        if reschedule:
            periodic.then_again(send_report_reminders, EVERY, reschedule=True)
