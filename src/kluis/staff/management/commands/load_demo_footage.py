"""Give the demo officer (boa1) one recording to watch in a viewing session."""

from django.core.management.base import BaseCommand, CommandError

from kluis.organisations.models import Organisation, User
from kluis.recordings.models import Recording
from kluis.staff.demo import ingest_demo_recording


class Command(BaseCommand):
    help = "Seal and ingest a short synthetic recording for the demo officer (run after demo)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", default="alphen-demo")
        parser.add_argument("--officer", default="boa1")

    def handle(self, *args, organisation, officer, **options):
        org = Organisation.objects.filter(slug=organisation).first()
        person = User.objects.filter(username=officer).first()
        if org is None or person is None:
            raise CommandError("Load the demo first (kluis demo / load_demo).")
        if Recording.objects.filter(organisation=org, officer=person).exists():
            self.stdout.write("The demo officer already has a recording; nothing to do.")
            return

        recording = ingest_demo_recording(org, person)
        self.stdout.write(
            f"Demo recording {recording.pk} of {person} stored; watch it at /recordings/"
            f"{recording.pk}/ after a viewing session with leidinggevende or plaatsvervanger."
        )
