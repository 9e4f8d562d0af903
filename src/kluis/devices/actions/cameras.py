"""Registering and retiring cameras (ORG-5)."""

from __future__ import annotations

from django.db import transaction

from kluis.core.clock import now
from kluis.core.permissions import require_unless_system
from kluis.custody.log import record

from ..models import Camera


def camera_label(camera: Camera) -> str:
    return f"camera {camera.serial}"


@transaction.atomic
def register_camera(organisation, team, *, serial: str, label: str = "", actor=None) -> Camera:
    """Add a camera to an organisation's pool, before it is enrolled with its own key."""
    require_unless_system(actor, "organisations.manage", organisation)
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


@transaction.atomic
def retire_camera(camera: Camera, *, actor=None, reason: str = "") -> Camera:
    """A retired camera can never deliver footage again (ORG-5)."""
    require_unless_system(actor, "devices.manage", camera.organisation)
    camera = Camera.objects.select_for_update().get(pk=camera.pk)
    if camera.status == Camera.Status.RETIRED:
        return camera
    camera.status = Camera.Status.RETIRED
    camera.retired_at = now()
    camera.save(update_fields=["status", "retired_at"])
    record(
        organisation=camera.organisation,
        actor=actor,
        action="camera.retired",
        obj=camera,
        details={"serial": camera.serial, "reason": reason},
    )
    return camera
