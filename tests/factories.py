"""Factories that build real objects through the actions layer, as production code does."""

from __future__ import annotations

import datetime as dt
import itertools

from kluis.core.clock import today
from kluis.organisations import actions
from kluis.organisations.models import Organisation, Team, User

_counter = itertools.count(1)


def make_organisation(slug: str | None = None, preset: str = "alphen", teams=("Handhaving",)):
    """An organisation with one municipality and the named teams."""
    n = next(_counter)
    slug = slug or f"org-{n}"
    org = actions.create_organisation(name=f"Organisatie {slug}", slug=slug, preset_key=preset)
    municipality = actions.add_municipality(org, name=f"Gemeente {slug}", code=f"{n:04d}")
    for name in teams:
        actions.add_team(org, name=name, municipality=municipality)
    return org


def make_person(
    org: Organisation,
    role: str,
    username: str | None = None,
    team: str | None = None,
    valid_from: dt.date | None = None,
    password: str = "correct horse battery",
) -> User:
    """A person holding `role` in `org` from `valid_from` (default: a year ago)."""
    username = username or f"{role}-{next(_counter)}"
    user, _ = User.objects.get_or_create(username=username, defaults={"first_name": username})
    user.set_password(password)
    user.save()
    team_obj = Team.objects.get(organisation=org, name=team) if team else None
    actions.grant_role(
        org, user, role, team=team_obj, valid_from=valid_from or today() - dt.timedelta(days=365)
    )
    return user


def make_reporting_line(org, officer, manager, kind="manager", valid_from=None, valid_until=None):
    return actions.assign_manager(
        org,
        officer=officer,
        manager=manager,
        kind=kind,
        valid_from=valid_from or today() - dt.timedelta(days=365),
        valid_until=valid_until,
    )
