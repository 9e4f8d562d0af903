"""Roles and reporting lines, and the separation of duties between footage and
administration (ORG-3, ORG-4).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from kluis.core.clock import today
from kluis.core.permissions import require_unless_system
from kluis.core.problems import KluisError, NotAllowed
from kluis.custody.log import record

from ..models import FOOTAGE_ROLES, NO_FOOTAGE_ROLES, Membership, ReportingLine, Role, User


@transaction.atomic
def grant_role(
    organisation,
    user: User,
    role: str,
    *,
    team=None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor=None,
) -> Membership:
    """Give a person a role in an organisation for a period (ORG-4).

    The system (`actor=None`: setup, demo, presets) grants any role directly. A person grants
    directly only a role that cannot see footage, and never to themselves; a footage role goes
    through `request_role` and a second person's `confirm_request` (ACC-1).
    """
    require_unless_system(actor, "organisations.manage", organisation)
    if actor is not None:
        if actor.pk == user.pk:
            raise NotAllowed(_("Nobody grants a role to themselves."), code="own-role")
        if role in FOOTAGE_ROLES:
            raise NotAllowed(
                _("A role that can see footage is requested and confirmed by a second person."),
                code="needs-confirmation",
            )
    check_separation(organisation, user, role)
    return _grant(
        organisation,
        user,
        role,
        team=team,
        valid_from=valid_from,
        valid_until=valid_until,
        actor=actor,
    )


def _grant(organisation, user, role, *, team, valid_from, valid_until, actor) -> Membership:
    """The effect of a grant, once it is allowed: the membership and its audit entry."""
    m = Membership(
        organisation=organisation,
        user=user,
        role=role,
        team=team,
        valid_from=valid_from or today(),
        valid_until=valid_until,
    )
    m.full_clean()
    m.save()
    if role == Role.FUNCTIONAL_ADMIN and not user.is_staff:
        # Django's admin only lets staff log in; what they see there stays scoped (admin.py).
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    record(
        organisation=organisation,
        actor=actor,
        action="role.granted",
        obj=m,
        details={
            "user": str(user.pk),
            "role": role,
            "valid_from": str(m.valid_from),
            "valid_until": str(valid_until) if valid_until else None,
        },
    )
    return m


@transaction.atomic
def end_role(membership: Membership, *, on: dt.date | None = None, actor=None) -> Membership:
    require_unless_system(actor, "organisations.manage", membership.organisation)
    membership.valid_until = on or today()
    membership.full_clean()
    membership.save(update_fields=["valid_until"])
    record(
        organisation=membership.organisation,
        actor=actor,
        action="role.ended",
        obj=membership,
        details={"valid_until": str(membership.valid_until)},
    )
    return membership


@transaction.atomic
def assign_manager(
    organisation,
    *,
    officer: User,
    manager: User,
    kind=ReportingLine.Kind.MANAGER,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor=None,
) -> ReportingLine:
    """Record who manages (or deputises for the manager of) an officer from a date (ORG-3).

    Only the system assigns directly; a person requests a line (`request_reporting_line`) and a
    second person confirms it, because a reporting line opens the officer's footage (ACC-1).
    """
    if actor is not None:
        raise NotAllowed(
            _("A reporting line is requested and confirmed by a second person."),
            code="needs-confirmation",
        )
    return _assign(
        organisation,
        officer=officer,
        manager=manager,
        kind=kind,
        valid_from=valid_from,
        valid_until=valid_until,
        actor=actor,
    )


def _assign(organisation, *, officer, manager, kind, valid_from, valid_until, actor):
    for person in (officer, manager):
        if not Membership.objects.filter(organisation=organisation, user=person).exists():
            raise KluisError(f"{person} has no role in {organisation}.", code="not-a-member")
    line = ReportingLine(
        organisation=organisation,
        officer=officer,
        manager=manager,
        kind=kind,
        valid_from=valid_from or today(),
        valid_until=valid_until,
    )
    line.full_clean()
    line.save()
    record(
        organisation=organisation,
        actor=actor,
        action="reporting_line.added",
        obj=line,
        details={
            "officer": str(officer.pk),
            "manager": str(manager.pk),
            "kind": kind,
            "valid_from": str(line.valid_from),
        },
    )
    return line


def check_separation(organisation, user: User, role: str, on: dt.date | None = None) -> None:
    """An administrator or supplier never also holds a footage role in the same organisation
    (ORG-4): whoever sets the system up must not be able to watch what it holds."""
    held = set(
        Membership.objects.active(on)
        .filter(user=user, organisation=organisation)
        .values_list("role", flat=True)
    )
    if role in FOOTAGE_ROLES and held & NO_FOOTAGE_ROLES:
        raise NotAllowed(
            _("%(person)s administers or supplies this organisation and gets no footage role.")
            % {"person": user},
            code="separation-of-duties",
        )
    if role in NO_FOOTAGE_ROLES and held & FOOTAGE_ROLES:
        raise NotAllowed(
            _("%(person)s holds a footage role here and cannot also administer or supply it.")
            % {"person": user},
            code="separation-of-duties",
        )
