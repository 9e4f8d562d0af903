"""Changes to cameras. Each action checks permission and writes its audit entry."""

from __future__ import annotations

from django.db import transaction

from kluis.custody.log import record
from kluis.organisations.permissions import require

from .models import Camera


@transaction.atomic
def register_camera(organisation, team, *, serial: str, label: str = "", actor=None) -> Camera:
    """Add a camera to an organisation's pool, before it is enrolled with its own key."""
    if actor is not None:
        require(actor, "organisations.manage", organisation)
    camera = Camera(organisation=organisation, team=team, serial=serial, label=label)
    camera.full_clean()
    camera.save()
    record(
        organisation=organisation,
        actor=actor,
        action="camera.registered",
        obj=camera,
        details={"serial": serial, "team": team.name},
    )
    return camera
