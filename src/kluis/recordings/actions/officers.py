"""Naming the officer of a recording that has none."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kluis.core.permissions import require
from kluis.core.problems import KluisError
from kluis.custody.events import AuditEvent
from kluis.custody.log import record
from kluis.organisations.models import Membership, Role

from ..models import Recording


class OfficerNotAssignable(KluisError):
    status = 409
    code = "officer-not-assignable"
    title = "Officer cannot be assigned"


@transaction.atomic
def assign_officer(actor, recording: Recording, officer) -> Recording:
    """A manager of the camera's team names the officer of a recording that has none.

    Until then the recording shows in the team's list as "officer unknown"; afterwards it is
    the officer's like any other (their list, their incident report). Nobody names themselves.
    """
    recording = Recording.objects.select_for_update().get(pk=recording.pk)
    require(actor, "recordings.assign_officer", recording)
    if officer.pk == actor.pk:
        raise OfficerNotAssignable(_("You cannot name yourself as the officer of a recording."))
    is_officer = (
        Membership.objects.active()
        .filter(user=officer, organisation_id=recording.organisation_id, role=Role.OFFICER)
        .exists()
    )
    if not is_officer:
        raise OfficerNotAssignable(
            _("%(person)s is not an officer of this organisation.") % {"person": officer}
        )
    recording.officer = officer
    recording.save(update_fields=["officer"])
    record(
        organisation=recording.organisation,
        actor=actor,
        action=AuditEvent.RECORDING_OFFICER_ASSIGNED,
        obj=recording,
        details={"officer": str(officer.pk), "team": recording.team.name},
    )
    return recording
