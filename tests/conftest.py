"""Shared fixtures: factories for organisations and people, and the injectable clock.

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
def english():
    """Run a test in English: Kluis speaks Dutch by default, some tests read English messages."""
    from django.utils import translation

    with translation.override("en"):
        yield
