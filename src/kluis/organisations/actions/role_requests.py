"""Footage roles and reporting lines that a second person confirms (ORG-4, ACC-1)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.timezone import now
from django.utils.translation import gettext as _

from kluis.core.clock import today
from kluis.core.permissions import require
from kluis.core.problems import KluisError, NotAllowed
from kluis.custody.events import AuditEvent
from kluis.custody.log import record

from ..models import Membership, ReportingLine, Role, RoleRequest, User
from .roles import _assign, _grant, check_separation


def _not_for_self(actor, request: RoleRequest, what: str) -> None:
    if actor is not None and actor.pk in request.subjects:
        raise NotAllowed(
            _("Nobody %(what)s a role or reporting line for themselves.") % {"what": what},
            code="own-role",
        )


@transaction.atomic
def request_role(
    organisation,
    user: User,
    role: str,
    *,
    team=None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor,
) -> RoleRequest:
    """An administrator asks for a footage role for someone; it waits for a second person."""
    require(actor, "organisations.manage", organisation)
    if role not in Role.values:
        raise KluisError(_("Unknown role."), code="unknown-role")
    req = RoleRequest(
        organisation=organisation,
        kind=RoleRequest.Kind.MEMBERSHIP,
        user=user,
        role=role,
        team=team,
        valid_from=valid_from or today(),
        valid_until=valid_until,
        requested_by=actor,
    )
    _not_for_self(actor, req, _("requests"))
    check_separation(organisation, user, role)
    req.full_clean()
    if team is not None and team.organisation_id != organisation.pk:
        raise KluisError(_("The team belongs to another organisation."))
    req.save()
    record(
        organisation=organisation,
        actor=actor,
        action=AuditEvent.ROLE_REQUESTED,
        obj=req,
        details={
            "user": str(user.pk),
            "role": role,
            "team": team.pk if team else None,
            "valid_from": str(req.valid_from),
            "valid_until": str(valid_until) if valid_until else None,
        },
    )
    return req


@transaction.atomic
def request_reporting_line(
    organisation,
    *,
    officer: User,
    manager: User,
    kind=ReportingLine.Kind.MANAGER,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor,
) -> RoleRequest:
    """An administrator asks for a reporting line; it waits for the privacy officer."""
    require(actor, "organisations.manage", organisation)
    for person in (officer, manager):
        if not Membership.objects.filter(organisation=organisation, user=person).exists():
            raise KluisError(f"{person} has no role in {organisation}.", code="not-a-member")
    if officer.pk == manager.pk:
        raise KluisError(_("Nobody manages themselves."), code="own-line")
    req = RoleRequest(
        organisation=organisation,
        kind=RoleRequest.Kind.REPORTING_LINE,
        user=officer,
        manager=manager,
        line_kind=kind,
        valid_from=valid_from or today(),
        valid_until=valid_until,
        requested_by=actor,
    )
    _not_for_self(actor, req, _("requests"))
    req.full_clean()
    req.save()
    record(
        organisation=organisation,
        actor=actor,
        action=AuditEvent.REPORTING_LINE_REQUESTED,
        obj=req,
        details={
            "officer": str(officer.pk),
            "manager": str(manager.pk),
            "kind": kind,
            "valid_from": str(req.valid_from),
        },
    )
    return req


def _pending(request: RoleRequest) -> RoleRequest:
    locked = RoleRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state != RoleRequest.State.PENDING:
        raise KluisError(_("This request has already been decided."), code="decided", status=409)
    return locked


@transaction.atomic
def confirm_request(request: RoleRequest, *, actor) -> RoleRequest:
    """A second, authorised person confirms: only now the role or line takes effect."""
    req = _pending(request)
    _not_for_self(actor, req, _("confirms"))
    if actor.pk == req.requested_by_id:
        raise NotAllowed(_("The person who asked does not confirm."), code="same-person")
    require(actor, "organisations.confirm_request", req)
    if req.kind == RoleRequest.Kind.MEMBERSHIP:
        check_separation(req.organisation, req.user, req.role)
        req.membership = _grant(
            req.organisation,
            req.user,
            req.role,
            team=req.team,
            valid_from=req.valid_from,
            valid_until=req.valid_until,
            actor=actor,
        )
    else:
        req.reporting_line = _assign(
            req.organisation,
            officer=req.user,
            manager=req.manager,
            kind=req.line_kind,
            valid_from=req.valid_from,
            valid_until=req.valid_until,
            actor=actor,
        )
    req.state = RoleRequest.State.CONFIRMED
    req.decided_by = actor
    req.decided_at = now()
    req.full_clean()
    req.save()
    record(
        organisation=req.organisation,
        actor=actor,
        action=AuditEvent.ROLE_REQUEST_CONFIRMED,
        obj=req,
        details={"requested_by": str(req.requested_by_id), "kind": req.kind},
    )
    return req


@transaction.atomic
def refuse_request(request: RoleRequest, *, actor, reason: str = "") -> RoleRequest:
    """A person who could confirm refuses; nothing takes effect."""
    req = _pending(request)
    require(actor, "organisations.confirm_request", req)
    req.state = RoleRequest.State.REFUSED
    req.decided_by = actor
    req.decided_at = now()
    req.reason = reason[:500]
    req.full_clean()
    req.save()
    record(
        organisation=req.organisation,
        actor=actor,
        action=AuditEvent.ROLE_REQUEST_REFUSED,
        obj=req,
        details={"requested_by": str(req.requested_by_id), "reason": req.reason},
    )
    return req
