"""New organisations, their municipalities and teams."""

from __future__ import annotations

from django.db import transaction

from kluis.core.permissions import require_unless_system
from kluis.core.problems import KluisError
from kluis.custody.log import record

from ..models import Municipality, Organisation, Policy, Team
from .policy import preset


@transaction.atomic
def create_organisation(*, name: str, slug: str, preset_key: str, actor=None) -> Organisation:
    """A new tenant whose policy starts as a copy of a preset."""
    if actor is not None and not actor.is_superuser:
        raise KluisError("Only the installation's operator creates organisations.", status=403)
    source = preset(preset_key)
    policy = Policy.objects.create(
        name=f"{name} ({source.name})", source=f"preset {preset_key}", **source.settings_dict()
    )
    org = Organisation.objects.create(name=name, slug=slug, policy=policy)
    record(
        organisation=org,
        actor=actor,
        action="organisation.created",
        obj=org,
        details={"preset": preset_key, "policy": policy.settings_dict()},
    )
    return org


@transaction.atomic
def add_municipality(organisation, *, name: str, code: str, actor=None) -> Municipality:
    require_unless_system(actor, "organisations.manage", organisation)
    m = Municipality(organisation=organisation, name=name, code=code)
    m.full_clean()
    m.save()
    record(
        organisation=organisation,
        actor=actor,
        action="municipality.added",
        obj=m,
        details={"name": name, "code": code},
    )
    return m


@transaction.atomic
def add_team(organisation, *, name: str, municipality=None, actor=None) -> Team:
    require_unless_system(actor, "organisations.manage", organisation)
    team = Team(organisation=organisation, name=name, municipality=municipality)
    team.full_clean()
    team.save()
    record(
        organisation=organisation,
        actor=actor,
        action="team.added",
        obj=team,
        details={"name": name},
    )
    return team
