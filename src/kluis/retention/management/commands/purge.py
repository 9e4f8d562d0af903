"""`kluis purge` (also `kluis manage purge`): delete every due recording for good.

Safe to run as often as you like, from the worker, cron or a systemd timer: a second purge at
the same moment waits for nothing and does nothing, and a purge killed half-way is finished by
the next run (docs/retention.md).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kluis.organisations.models import Organisation
from kluis.retention.purge import purge


class Command(BaseCommand):
    help = "Delete every recording whose term has passed and that no hold keeps (RET-1..RET-4)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only show what is due")
        parser.add_argument("--organisation", help="only this organisation (its short name)")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--workers", type=int, default=16, help="parallel key/object deletes")

    def handle(self, *args, **options):
        org = None
        if options.get("organisation"):
            org = Organisation.objects.filter(slug=options["organisation"]).first()
            if org is None:
                raise CommandError(f"No organisation with short name {options['organisation']!r}.")
        report = purge(
            organisation=org,
            dry_run=options["dry_run"],
            batch_size=options["batch_size"],
            workers=options["workers"],
        )
        if report.skipped:
            self.stdout.write(f"Purge skipped: {report.skipped}.")
            return
        for slug, count in sorted(report.due.items()):
            self.stdout.write(f"{slug}: {count} due")
        if not options["dry_run"]:
            self.stdout.write(
                f"Deleted {report.deleted} recordings; finished {report.resumed} interrupted "
                f"deletions (purge run {report.run_id})."
            )
        for slug, info in sorted(report.braked.items()):
            self.stderr.write(
                f"{slug}: STOPPED by the brake: {info['due']} due, usually at most "
                f"{info['threshold']} a day. A functional administrator and a manager must "
                "confirm (retention: mass deletion requests)."
            )
        if report.failed:
            for rid, why in sorted(report.failed.items()):
                self.stderr.write(f"{rid}: {why}")
            raise CommandError(
                f"{len(report.failed)} deletions did not finish; they are retried on the next run."
            )
