"""Background jobs of the reports app (django-tasks)."""

from django_tasks import task


@task(queue_name="default")
def send_report_reminders() -> int:
    """Reminders for missing incident reports; safe to run as often as wanted."""
    from .actions import send_reminders

    return send_reminders()
