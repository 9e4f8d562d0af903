from django.core.management.base import BaseCommand

from kluis.reports.actions import send_reminders


class Command(BaseCommand):
    help = (
        "Remind officers of missing incident reports before their shift ends and tell managers "
        "of overdue ones. Idempotent: run it every few minutes from cron or a systemd timer."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{send_reminders()} notification(s) sent")
