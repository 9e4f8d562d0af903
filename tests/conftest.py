"""Shared fixtures: factories for organisations and people, the injectable clock, fresh stores
and the one test world (tests/world.py).

Tests of the pure packages (sealed, camera, media) use none of this and need no database.
"""

from __future__ import annotations

import pytest

from kluis.core import clock


@pytest.fixture(autouse=True)
def _reset_clock():
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def make_org(db):
    """make_org(slug, preset="alphen") -> Organisation with one municipality and one team."""
    from tests.factories import make_organisation

    return make_organisation


@pytest.fixture
def make_person(db):
    from tests.factories import make_person as factory

    return factory


@pytest.fixture
def org(db):
    """An organisation (Alphen policy) with one municipality and the team Handhaving."""
    from tests.factories import make_organisation

    return make_organisation()


@pytest.fixture
def person(org):
    """An officer of `org` who has not logged in yet (no authenticator)."""
    from kluis.organisations.models import Role
    from tests.factories import make_person

    return make_person(org, Role.OFFICER, "boa", team="Handhaving")


@pytest.fixture
def english():
    """Run a test in English: Kluis speaks Dutch by default, some tests read English messages."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def stores(settings, tmp_path):
    """A fresh local footage store, upload staging directory and key store for each test."""
    settings.STORAGE_URL = f"file://{tmp_path / 'footage'}"
    settings.UPLOAD_DIR = tmp_path / "incoming"
    settings.KEYSTORE_URL = f"file://{tmp_path / 'keys'}"
    return tmp_path


@pytest.fixture
def world(db, stores):
    """Every role around one ingested recording of `world.officer` (H2O policy).

    tests/retention gives its tests the same world at a frozen clock, without the recording."""
    import os

    from tests.world import build_world

    return build_world("h2o", footage=os.urandom(300_000))


@pytest.fixture(scope="session")
def seaweed():
    """A real S3 server (SeaweedFS) for the session; each test takes a fresh bucket of it."""
    from tests.seaweed import SeaweedS3

    server = SeaweedS3()
    yield server
    server.stop()


@pytest.fixture(params=["local", "s3"])
def footage_store(request, stores, settings):
    """Run the test once on a fresh local directory and once on a fresh S3 bucket with Object
    Lock (KLUIS_STORAGE_URL); returns "local" or "s3"."""
    if request.param == "s3":
        s3 = request.getfixturevalue("seaweed")
        settings.STORAGE_URL = s3.url(s3.bucket(object_lock=True))
    return request.param


@pytest.fixture
def enrol(client, make_org):
    """enrol(org=None, serial=None) -> (Offloader, SimCamera, org): a camera enrolled by code."""
    from kluis.devices import actions
    from kluis.organisations.models import Team
    from tests.recordings.helpers import DjangoTransport, Offloader, SimCamera

    def factory(org=None, serial=None, piece=64 * 1024):
        org = org or make_org()
        team = Team.objects.filter(organisation=org).first()
        _entry, code = actions.issue_enrolment_code(org, team)
        camera = SimCamera.new(serial)
        off = Offloader(DjangoTransport(client), camera, piece=piece)
        status, answer = off.enrol(code)
        assert status == 201, answer
        return off, camera, org

    return factory
