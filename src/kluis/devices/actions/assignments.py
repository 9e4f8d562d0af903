"""Which officer wears which camera during a shift."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.permissions import require_unless_system
from kluis.core.problems import Conflict, KluisError
from kluis.custody.log import record
from kluis.organisations.models import Membership, Role

from ..models import Camera, CameraAssignment


@transaction.atomic
def assign_camera(
    camera: Camera, officer, *, shift_start: dt.datetime, shift_end: dt.datetime, actor=None
) -> CameraAssignment:
    """Hand a camera to an officer for one shift; its recordings then carry that officer."""
    require_unless_system(actor, "devices.assign", camera.organisation)
    camera = Camera.objects.select_for_update().get(pk=camera.pk)
    if camera.status == Camera.Status.RETIRED:
        raise Conflict(_("A retired camera cannot be assigned."), code="camera-retired")
    if shift_end <= shift_start:
        raise KluisError(_("The shift must end after it starts."), code="shift-order")
    day = shift_start.date()
    is_officer = (
        Membership.objects.active(day)
        .filter(user=officer, organisation_id=camera.organisation_id, role=Role.OFFICER)
        .exists()
    )
    if not is_officer:
        raise KluisError(
            _("%(person)s is not an officer of this organisation on that day.")
            % {"person": officer},
            code="not-an-officer",
        )
    overlap = Q(shift_start__lt=shift_end, shift_end__gt=shift_start)
    if CameraAssignment.objects.filter(overlap, camera=camera).exists():
        raise Conflict(
            _("This camera is already assigned for part of that shift."),
            code="assignment-overlap",
        )
    if CameraAssignment.objects.filter(overlap, officer=officer).exists():
        raise Conflict(
            _("This officer already wears another camera during part of that shift."),
            code="assignment-overlap",
        )
    assignment = CameraAssignment.objects.create(
        organisation=camera.organisation,
        camera=camera,
        officer=officer,
        shift_start=shift_start,
        shift_end=shift_end,
        assigned_by=actor,
    )
    record(
        organisation=camera.organisation,
        actor=actor,
        action="camera.assigned",
        obj=assignment,
        details={
            "camera": camera.serial,
            "officer": str(officer.pk),
            "shift_start": shift_start.isoformat(),
            "shift_end": shift_end.isoformat(),
        },
    )
    return assignment


@transaction.atomic
def end_assignment(assignment: CameraAssignment, *, at: dt.datetime | None = None, actor=None):
    """End a shift early (the camera was handed back)."""
    require_unless_system(actor, "devices.assign", assignment.organisation)
    end = at or now()
    if end <= assignment.shift_start:
        raise KluisError(_("The shift cannot end before it starts."), code="shift-order")
    if end < assignment.shift_end:
        assignment.shift_end = end
        assignment.save(update_fields=["shift_end"])
        record(
            organisation=assignment.organisation,
            actor=actor,
            action="camera.assignment_ended",
            obj=assignment,
            details={"shift_end": end.isoformat()},
        )
    return assignment


def assignment_at(camera: Camera, moment: dt.datetime) -> CameraAssignment | None:
    """The shift during which `moment` falls for this camera, if any."""
    return (
        CameraAssignment.objects.filter(
            camera=camera, shift_start__lte=moment, shift_end__gt=moment
        )
        .select_related("officer")
        .first()
    )
