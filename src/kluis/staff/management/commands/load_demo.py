"""Demo data: two organisations, their teams, cameras and a person for every role.

Run again at will: existing rows are kept, and every demo login gets a fresh random password that
is printed once (no password lives in the repository). It lives in the staff app, the top layer,
because it sets up every app below: organisations, cameras, and the logins' activation codes.
"""

import datetime as dt
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from kluis.core.clock import today
from kluis.devices.actions import register_camera
from kluis.devices.models import Camera
from kluis.organisations import actions
from kluis.organisations.models import Membership, Organisation, ReportingLine, Role, Team, User
from kluis.staff.demo import activation_code

ALPHEN_PEOPLE = [
    # username, first, last, role, team
    ("beheer", "Femke", "Beheerder", Role.FUNCTIONAL_ADMIN, None),
    ("leidinggevende", "Lotte", "de Leider", Role.MANAGER, "Toezicht en Handhaving"),
    ("plaatsvervanger", "Pieter", "Plaatsvervanger", Role.DEPUTY_MANAGER, "Toezicht en Handhaving"),
    ("boa1", "Bram", "Boa", Role.OFFICER, "Toezicht en Handhaving"),
    ("boa2", "Sanne", "Toezicht", Role.OFFICER, "Toezicht en Handhaving"),
    ("inspecteur", "Ilse", "Inspecteur", Role.OFFICER, "Inspectie"),
    ("privacy", "Priya", "Privacy", Role.PRIVACY_OFFICER, None),
    ("klachten", "Karel", "Klachten", Role.COMPLAINT_COORDINATOR, None),
    ("meldkamer", "Mo", "Meldkamer", Role.CONTROL_ROOM, None),
    ("collega", "Cor", "Collega", Role.INVITED_STAFF, None),
    ("leverancier", "Lev", "Leverancier", Role.SUPPLIER, None),
]


class Command(BaseCommand):
    help = "Load the demo organisations (Alphen aan den Rijn, H2O) and print a login per role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet-passwords", action="store_true", help="do not reset or print passwords"
        )

    @transaction.atomic
    def handle(self, *args, quiet_passwords=False, **options):
        actions.load_presets()
        alphen = self._alphen()
        self._h2o()
        if quiet_passwords:
            return
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                "\nDemo logins (fresh passwords, shown once; the first login takes the "
                "activation code as its code, then sets up an authenticator app):"
            )
        )
        for username, _first, _last, role, _team in ALPHEN_PEOPLE:
            password = secrets.token_urlsafe(9)
            user = User.objects.get(username=username)
            user.set_password(password)
            user.save(update_fields=["password"])
            code = activation_code(user) or "(authenticator already set up)"
            self.stdout.write(f"  {Role(role).label:45} {username:16} {password:14} {code}")
        self.stdout.write(f"\n  organisation: {alphen.name}\n")

    def _alphen(self):
        org = Organisation.objects.filter(slug="alphen-demo").first()
        if org is None:
            org = actions.create_organisation(
                name="Gemeente Alphen aan den Rijn (demo)", slug="alphen-demo", preset_key="alphen"
            )
            municipality = actions.add_municipality(org, name="Alphen aan den Rijn", code="0484")
            th = actions.add_team(org, name="Toezicht en Handhaving", municipality=municipality)
            insp = actions.add_team(org, name="Inspectie", municipality=municipality)
            # ORG-2: the pool of 28 cameras is split 26 + 2.
            for i in range(1, 29):
                register_camera(
                    org, th if i <= 26 else insp, serial=f"ALP-{i:03d}", label=f"Bodycam {i:02d}"
                )
        teams = {t.name: t for t in Team.objects.filter(organisation=org)}
        start = today() - dt.timedelta(days=365)
        for username, first, last, role, team in ALPHEN_PEOPLE:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@alphen.demo.invalid",
                },
            )
            if not Membership.objects.filter(user=user, organisation=org, role=role).exists():
                actions.grant_role(org, user, role, team=teams.get(team), valid_from=start)
        manager = User.objects.get(username="leidinggevende")
        deputy = User.objects.get(username="plaatsvervanger")
        for officer in User.objects.filter(username__in=["boa1", "boa2", "inspecteur"]):
            for person, kind in (
                (manager, ReportingLine.Kind.MANAGER),
                (deputy, ReportingLine.Kind.DEPUTY),
            ):
                if not ReportingLine.objects.filter(officer=officer, manager=person).exists():
                    actions.assign_manager(
                        org, officer=officer, manager=person, kind=kind, valid_from=start
                    )
        return org

    def _h2o(self):
        if Organisation.objects.filter(slug="h2o-demo").exists():
            return
        org = actions.create_organisation(
            name="H2O: Hattem, Heerde, Oldebroek (demo)", slug="h2o-demo", preset_key="h2o"
        )
        for name, code in (("Hattem", "0244"), ("Heerde", "0246"), ("Oldebroek", "0269")):
            m = actions.add_municipality(org, name=name, code=code)
            team = actions.add_team(org, name=f"Handhaving {name}", municipality=m)
            for i in range(1, 3):
                register_camera(org, team, serial=f"H2O-{code}-{i}", label=f"{name} {i}")
        return Camera.objects.filter(organisation=org).count()
