"""The one test world: an organisation with a person for every role, a second organisation, and
an enrolled camera worn by the officer whose recordings go the real way.

Each recording is sealed with kluis.sealed by the camera's own key to the organisation's key,
then delivered to ingest as a dock upload is (re-keyed, stored, its key in the key store); so
playback, viewing and retention tests decrypt and delete exactly what production stores (STO-3).
Viewing, staff, browser and retention tests all build this world; the fixtures that give it to a
test (with its stores and clock) are in tests/conftest.py and tests/retention/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from kluis.core import clock
from kluis.organisations.models import Role, User
from tests.factories import (
    deliver,
    in_service_since,
    make_organisation,
    make_person,
    make_reporting_line,
)
from tests.login import add_totp
from tests.recordings.helpers import STARTED, SimCamera

#: name -> (role, team, user name). The first world in a database uses these user names (the
#: served and browser tests log in by them); a second world's people get a number after them.
PEOPLE = {
    "officer": (Role.OFFICER, "Handhaving", "officer"),
    "manager": (Role.MANAGER, "Handhaving", "manager"),
    "deputy": (Role.DEPUTY_MANAGER, "Handhaving", "deputy"),
    "colleague": (Role.OFFICER, "Handhaving", "colleague"),
    "other_team_officer": (Role.OFFICER, "Inspectie", "inspector"),
    "other_team_manager": (Role.MANAGER, "Inspectie", "inspection-boss"),
    "invited_staff": (Role.INVITED_STAFF, None, "invited"),
    "privacy_officer": (Role.PRIVACY_OFFICER, None, "privacy"),
    "complaint_coordinator": (Role.COMPLAINT_COORDINATOR, None, "complaints"),
    "control_room": (Role.CONTROL_ROOM, None, "control"),
    "functional_admin": (Role.FUNCTIONAL_ADMIN, None, "admin"),
    "supplier": (Role.SUPPLIER, None, "supplier"),
}
OTHER_ORG_PEOPLE = {
    "other_org_officer": (Role.OFFICER, "Handhaving", "far-officer"),
    "other_org_manager": (Role.MANAGER, "Handhaving", "far-manager"),
}
#: The short names the retention tests use for the same people.
SHORT_NAMES = {
    "privacy": "privacy_officer",
    "coordinator": "complaint_coordinator",
    "admin": "functional_admin",
    "other_officer": "colleague",
    "outsider": "other_org_manager",
}

_numbers = itertools.count(1)


@dataclass
class World:
    org: object
    other_org: object
    camera: object  # the Camera, as the server knows it
    sim: SimCamera  # what the camera keeps: its own keys and the organisation's public key
    people: dict = field(default_factory=dict)
    recording: object = None  # the first recording, where build_world was given footage
    recordings: list = field(default_factory=list)

    def __getattr__(self, name):
        people = self.__dict__.get("people", {})
        name = SHORT_NAMES.get(name, name)
        if name in people:
            return people[name]
        raise AttributeError(name)

    def record(
        self,
        started_at=None,
        *,
        footage: bytes | None = None,
        officer: bool = True,
        chunk_size: int = 64 * 1024,
    ):
        """A recording by the officer's camera, sealed and ingested for real; the Recording.

        `officer=False`: nobody is known to have worn the camera (the recording has no officer).
        """
        from kluis.recordings.models import Recording

        started_at = started_at or clock.now() - dt.timedelta(minutes=10)
        footage = footage or (b"bodycam footage " * 300 + started_at.isoformat().encode())
        rid, data = self.sim.seal(footage, started_at=started_at, chunk_size=chunk_size)
        recording = deliver(self.camera, rid, data)
        if not officer:
            Recording.objects.filter(pk=rid).update(officer=None, assignment=None)
            recording.refresh_from_db()
        self.recordings.append(recording)
        return recording


def _add_people(org, people: dict, into: dict) -> None:
    for name, (role, team, username) in people.items():
        if User.objects.filter(username=username).exists():
            username = f"{username}-{next(_numbers)}"
        into[name] = make_person(org, role, username, team=team)


def build_world(
    preset: str = "alphen",
    *,
    footage: bytes | None = None,
    chunk_size: int = 64 * 1024,
    started_at: dt.datetime = STARTED,
) -> World:
    """The world on the organisation `preset`; with `footage`, its first recording (at
    `started_at`, a few hours ago) is `world.recording`."""
    from kluis.devices import actions as devices
    from kluis.organisations.models import Team
    from kluis.sealed import generate_camera_keypair

    org = make_organisation(preset=preset, teams=("Handhaving", "Inspectie"))
    other = make_organisation(preset="alphen")
    p: dict = {}
    _add_people(org, PEOPLE, p)
    _add_people(other, OTHER_ORG_PEOPLE, p)
    make_reporting_line(org, p["officer"], p["manager"])
    make_reporting_line(org, p["officer"], p["deputy"], kind="deputy")
    make_reporting_line(org, p["colleague"], p["manager"])
    make_reporting_line(org, p["other_team_officer"], p["other_team_manager"])
    make_reporting_line(other, p["other_org_officer"], p["other_org_manager"])
    for user in p.values():
        add_totp(user)

    _entry, code = devices.issue_enrolment_code(
        org, Team.objects.get(organisation=org, name="Handhaving")
    )
    pair = generate_camera_keypair()
    camera = devices.enrol_camera(code=code, serial=f"CAM-{org.slug}", public_key=pair.public_key)
    # A camera in service for a year: tests seal footage weeks in the past, which ingest would
    # rightly call implausible for a camera enrolled a minute ago.
    in_service_since(camera, clock.now() - dt.timedelta(days=400))
    devices.assign_camera(
        camera,
        p["officer"],
        shift_start=clock.now() - dt.timedelta(days=300),
        shift_end=clock.now() + dt.timedelta(days=3650),
    )
    sim = SimCamera(
        serial=camera.serial,
        private_key=pair.private_key,
        public_key=pair.public_key,
        camera_id=str(camera.pk),
        organisation_id=str(org.pk),
        organisation_public_key=bytes(devices.ensure_organisation_key(org).public_key),
        pre_record_seconds=org.policy.pre_record_seconds,
    )
    w = World(org=org, other_org=other, camera=camera, sim=sim, people=p)
    if footage is not None:
        w.recording = w.record(started_at, footage=footage, chunk_size=chunk_size)
    return w
