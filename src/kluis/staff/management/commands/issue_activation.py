"""`kluis manage issue_activation USERNAME`: the operator's activation code for a first login.

For the operator's own account (made with `createsuperuser`) and for the first functional
administrator of an organisation; after that, functional administrators issue codes for their
own people in the staff app. Audited as ACTIVATION_ISSUED with no actor (the system).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from kluis.core.problems import KluisError
from kluis.staff import actions


class Command(BaseCommand):
    help = "Print a one-time activation code for a person's first login (audited)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        person = get_user_model().objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"Nobody has the user name {username!r}.")
        try:
            code = actions.issue_activation(None, person)
        except KluisError as error:
            raise CommandError(str(error.detail)) from None
        self.stdout.write(code)
