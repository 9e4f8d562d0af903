"""Questions about people that many apps ask: who manages this officer on this day (ORG-3)?"""

from __future__ import annotations

import datetime as dt

from kluis.core.clock import today

from .models import NO_FOOTAGE_ROLES, Membership, Organisation, ReportingLine, Role, User


def managers_of(officer: User, organisation: Organisation, on: dt.date | None = None) -> list[User]:
    """The officer's direct manager(s) on `on` (default: today)."""
    return _line(officer, organisation, ReportingLine.Kind.MANAGER, on)


def deputies_of(officer: User, organisation: Organisation, on: dt.date | None = None) -> list[User]:
    """The deputies of the officer's manager on `on` (default: today)."""
    return _line(officer, organisation, ReportingLine.Kind.DEPUTY, on)


def managers_or_deputies_of(officer, organisation, on=None) -> list[User]:
    """Everyone who may act as the officer's manager on that day (ACC-2, RET-5, POL-2)."""
    return managers_of(officer, organisation, on) + deputies_of(officer, organisation, on)


def _line(officer, organisation, kind, on) -> list[User]:
    lines = (
        ReportingLine.objects.on(on or today())
        .filter(organisation=organisation, officer=officer, kind=kind)
        .select_related("manager")
        .order_by("valid_from", "manager__username")
    )
    return [line.manager for line in lines]


def roles_of(user: User, organisation: Organisation, on: dt.date | None = None) -> set[str]:
    """The roles `user` holds in `organisation` on that day."""
    if not user or not user.is_authenticated or not user.is_active:
        return set()
    return set(
        Membership.objects.active(on)
        .filter(user=user, organisation=organisation)
        .values_list("role", flat=True)
    )


def organisations_of(user: User, on: dt.date | None = None) -> list[Organisation]:
    """Organisations in which `user` holds any active role."""
    if not user or not user.is_authenticated or not user.is_active:
        return []
    ids = Membership.objects.active(on).filter(user=user).values_list("organisation_id", flat=True)
    return list(Organisation.objects.filter(id__in=ids))


def may_see_footage(user: User, organisation: Organisation, on: dt.date | None = None) -> bool:
    """False for anyone whose only roles are administration or supply (ORG-4)."""
    roles = roles_of(user, organisation, on)
    return bool(roles - NO_FOOTAGE_ROLES)


__all__ = [
    "Role",
    "managers_of",
    "deputies_of",
    "managers_or_deputies_of",
    "roles_of",
    "organisations_of",
    "may_see_footage",
]
