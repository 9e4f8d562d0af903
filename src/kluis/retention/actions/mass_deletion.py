"""The brake on mass deletion: a purge that would delete far more than usual waits for two
people to confirm the number (the volume itself is measured in `retention/brake.py`)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.permissions import require
from kluis.core.problems import Conflict, NotAllowed
from kluis.custody.log import record
from kluis.organisations.models import Role
from kluis.organisations.permissions import has_role

from ..models import MassDeletionRequest


@transaction.atomic
def request_mass_deletion(organisation, *, due: int, volume) -> MassDeletionRequest:
    """The purge stopped an organisation: ask for confirmation of this number (one open
    request at a time; a new number supersedes the old request)."""
    waiting = MassDeletionRequest.objects.select_for_update().filter(
        organisation=organisation, state=MassDeletionRequest.State.WAITING
    )
    for old in waiting:
        if old.due_count == due:
            return old  # the same question, perhaps half answered: keep it
        old.state = MassDeletionRequest.State.SUPERSEDED
        old.save(update_fields=["state"])
    req = MassDeletionRequest.objects.create(
        organisation=organisation,
        due_count=due,
        threshold=volume.threshold,
        median_daily=volume.median_daily,
        created_at=now(),
    )
    record(
        organisation=organisation,
        actor=None,
        action="purge.braked",
        obj=req,
        details={
            "due": due,
            "threshold": volume.threshold,
            "median_daily": volume.median_daily,
            "deleted_last_24h": volume.deleted_last_24h,
        },
    )
    return req


@transaction.atomic
def confirm_mass_deletion(request: MassDeletionRequest, *, actor) -> MassDeletionRequest:
    """A functional administrator and a manager, two people, confirm the number (the brake)."""
    if actor is None:
        raise NotAllowed(_("A mass deletion is confirmed by people, not by the system."))
    req = MassDeletionRequest.objects.select_for_update().get(pk=request.pk)
    require(actor, "retention.confirm_mass_deletion", req)
    if req.state != MassDeletionRequest.State.WAITING:
        raise Conflict(_("This request is no longer waiting for confirmation."))
    org = req.organisation
    if actor.pk in (req.admin_confirmed_by_id, req.manager_confirmed_by_id):
        raise NotAllowed(
            _("You confirmed already; a second person must confirm too."), code="same-person"
        )
    moment = now()
    if req.admin_confirmed_by_id is None and has_role(actor, org, Role.FUNCTIONAL_ADMIN):
        req.admin_confirmed_by, req.admin_confirmed_at, slot = actor, moment, "admin"
    elif req.manager_confirmed_by_id is None and has_role(
        actor, org, Role.MANAGER, Role.DEPUTY_MANAGER
    ):
        req.manager_confirmed_by, req.manager_confirmed_at, slot = actor, moment, "manager"
    else:
        raise NotAllowed(
            _("A functional administrator and a manager confirm; this part is already done.")
        )
    if req.admin_confirmed_by_id and req.manager_confirmed_by_id:
        req.state = MassDeletionRequest.State.CONFIRMED
    req.save()
    record(
        organisation=org,
        actor=actor,
        action="purge.mass_deletion_confirmed"
        if req.state == MassDeletionRequest.State.CONFIRMED
        else "purge.mass_deletion_confirmation",
        obj=req,
        details={"due": req.due_count, "threshold": req.threshold, "as": slot},
    )
    return req


@transaction.atomic
def mass_deletion_used(request: MassDeletionRequest, *, deleted: int) -> None:
    MassDeletionRequest.objects.filter(
        pk=request.pk, state=MassDeletionRequest.State.CONFIRMED
    ).update(state=MassDeletionRequest.State.USED)
    record(
        organisation=request.organisation,
        actor=None,
        action="purge.mass_deletion_done",
        obj=request,
        details={"due": request.due_count, "deleted": deleted},
    )
