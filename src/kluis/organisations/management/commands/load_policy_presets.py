from django.core.management.base import BaseCommand

from kluis.organisations.actions import load_presets


class Command(BaseCommand):
    help = "Create or refresh the five policy presets from the seed municipalities."

    def handle(self, *args, **options):
        for policy in load_presets():
            if options["verbosity"]:
                self.stdout.write(f"{policy.preset_key:14} {policy.name}")
