"""A small organisation with a person for every role and one ingested recording.

The recording goes the real way: a camera enrolled with a code, assigned to the officer for a
shift, seals footage with kluis.sealed and uploads it through the ingest API; so the stream
tests decrypt exactly what production stores (STO-3).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kluis.organisations.models import Role
from tests.factories import make_organisation, make_person, make_reporting_line
from tests.recordings.helpers import STARTED, DjangoTransport, Offloader, SimCamera

PASSWORD = "correct horse battery"


def add_totp(user) -> TOTPDevice:
    """A confirmed TOTP device, so the person can log in and co-sign in tests."""
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def code_for(user, *, offset_steps: int = 0) -> str:
    """The code the person's authenticator app would show now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + offset_steps,
    )
    return f"{code:0{device.digits}d}"


def log_in(client, user):
    """Logged in with password and TOTP, as the login page leaves a person."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or add_totp(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@dataclass
class World:
    org: object
    people: dict = field(default_factory=dict)
    recording: object = None
    camera: object = None
    other_org: object = None

    def __getattr__(self, name):
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)


def build_world(
    client, *, preset: str = "h2o", footage: bytes | None = None, chunk_size: int = 64 * 1024
) -> World:
    org = make_organisation(preset=preset, teams=("Handhaving", "Inspectie"))
    w = World(org=org)
    p = w.people
    p["officer"] = make_person(org, Role.OFFICER, "officer", team="Handhaving")
    p["manager"] = make_person(org, Role.MANAGER, "manager", team="Handhaving")
    p["deputy"] = make_person(org, Role.DEPUTY_MANAGER, "deputy", team="Handhaving")
    p["colleague"] = make_person(org, Role.OFFICER, "colleague", team="Handhaving")
    p["other_team_officer"] = make_person(org, Role.OFFICER, "inspector", team="Inspectie")
    p["other_team_manager"] = make_person(org, Role.MANAGER, "inspection-boss", team="Inspectie")
    p["invited_staff"] = make_person(org, Role.INVITED_STAFF, "invited")
    p["privacy_officer"] = make_person(org, Role.PRIVACY_OFFICER, "privacy")
    p["complaint_coordinator"] = make_person(org, Role.COMPLAINT_COORDINATOR, "complaints")
    p["control_room"] = make_person(org, Role.CONTROL_ROOM, "control")
    p["functional_admin"] = make_person(org, Role.FUNCTIONAL_ADMIN, "admin")
    p["supplier"] = make_person(org, Role.SUPPLIER, "supplier")
    make_reporting_line(org, p["officer"], p["manager"])
    make_reporting_line(org, p["officer"], p["deputy"], kind="deputy")
    make_reporting_line(org, p["colleague"], p["manager"])
    make_reporting_line(org, p["other_team_officer"], p["other_team_manager"])
    other = make_organisation(preset="alphen")
    w.other_org = other
    p["other_org_officer"] = make_person(other, Role.OFFICER, "far-officer", team="Handhaving")
    p["other_org_manager"] = make_person(other, Role.MANAGER, "far-manager", team="Handhaving")
    make_reporting_line(other, p["other_org_officer"], p["other_org_manager"])
    for user in p.values():
        add_totp(user)
    w.recording, w.camera = ingest(
        client, org, p["officer"], footage or os.urandom(300_000), chunk_size=chunk_size
    )
    return w


def ingest(
    client, org, officer, footage: bytes, *, chunk_size: int = 64 * 1024, started_at=STARTED
):
    """Enrol a camera, hand it to `officer` for the shift, seal `footage` and upload it."""
    from kluis.devices import actions as devices
    from kluis.devices.models import Camera
    from kluis.organisations.models import Team
    from kluis.recordings.models import Recording

    team = Team.objects.get(organisation=org, name="Handhaving")
    _entry, code = devices.issue_enrolment_code(org, team)
    cam = SimCamera.new()
    off = Offloader(DjangoTransport(client), cam, piece=1024 * 1024)
    status, answer = off.enrol(code)
    assert status == 201, answer
    camera = Camera.objects.get(pk=cam.camera_id)
    with transaction.atomic():
        devices.assign_camera(
            camera,
            officer,
            shift_start=started_at - dt.timedelta(hours=1),
            shift_end=started_at + dt.timedelta(hours=4),
        )
    rid, data = cam.seal(footage, chunk_size=chunk_size, started_at=started_at)
    status, answer = off.upload(rid, data)
    assert status == 200 and answer.get("state") == "complete", (status, answer)
    return Recording.objects.get(pk=rid), camera
