"""`kluis manage unlock_login`: the operator lifts a lockout by address (or user name), audited.

A functional administrator unlocks a person of their own organisation in the staff app
(Logins page); this command is for the operator, for example after a blocked office address.
"""

from django.core.management.base import BaseCommand, CommandError

from kluis.staff import actions


class Command(BaseCommand):
    help = "Lift a login lockout of an address or of a user name (audited)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--address", help="the client address that is locked out")
        group.add_argument("--username", help="the user name that is locked out")

    def handle(self, *args, address=None, username=None, **options):
        if address:
            count = actions.unlock_login(None, address=address)
        else:
            count = actions.unlock_login(None, username=username)
        if count == 0:
            raise CommandError("Nothing was locked out for this address or user name.")
        self.stdout.write(f"Unlocked: {count} counter(s) reset.")
