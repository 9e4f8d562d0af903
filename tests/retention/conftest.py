"""The retention tests' setting of the one test world (tests/world.py): the clock frozen at T0,
fresh stores with a low brake on mass deletion, and no recording until a test makes one with
`world.record`.

Time is the one injectable clock; tests move it with `clock.advance`.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kluis.core import clock
from tests.world import build_world

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    """The clock stands still at T0 until a test moves it."""
    with clock.frozen_at(T0):
        yield


@pytest.fixture
def stores(stores, settings):
    """tests/conftest.py's fresh stores, with a brake low enough for a test to reach."""
    settings.RETENTION_BRAKE_MINIMUM = 50
    return stores


@pytest.fixture
def world(db, frozen, stores):
    return build_world()


@pytest.fixture
def make_world(db, frozen, stores):
    return build_world
