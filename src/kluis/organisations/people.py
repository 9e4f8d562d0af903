"""Questions about people that many apps ask, answered in this one place.

"Who manages this officer on this day?" (ORG-3), "is this person the officer's manager or
deputy?", "may this person see footage at all?" (ORG-4). The permission rules (each app's
`rules.py`), the lists and the actions all ask here, so a change to who counts as a manager is a
change in one function.
"""

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


def is_manager_or_deputy_of(
    user: User, officer: User | None, organisation: Organisation | None, on: dt.date | None = None
) -> bool:
    """Is `user` the officer's manager or deputy on `on` (default: today)?"""
    if user is None or officer is None or organisation is None:
        return False
    return any(m.pk == user.pk for m in managers_or_deputies_of(officer, organisation, on))


def lines_managed_by(user: User, on: dt.date | None = None):
    """The reporting lines in which `user` is the manager or deputy on that day."""
    return ReportingLine.objects.on(on or today()).filter(manager=user)


def managed_officer_ids(user: User, on: dt.date | None = None):
    """Ids of the officers `user` manages or deputises for on that day (any organisation)."""
    return lines_managed_by(user, on).values("officer_id")


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


def sees_footage(roles) -> bool:
    """Do these roles include one that may see footage? Not administration or supply (ORG-4)."""
    return bool(set(roles) - NO_FOOTAGE_ROLES)


def may_see_footage(user: User, organisation: Organisation, on: dt.date | None = None) -> bool:
    """False for anyone whose only roles are administration or supply (ORG-4)."""
    return sees_footage(roles_of(user, organisation, on))


def footage_memberships(on: dt.date | None = None):
    """Active memberships in a role that may see footage (ORG-4)."""
    return Membership.objects.active(on).exclude(role__in=NO_FOOTAGE_ROLES)


def footage_organisation_ids(user: User, on: dt.date | None = None):
    """Ids of the organisations where `user` holds a role that may see footage (ORG-4)."""
    return footage_memberships(on).filter(user=user).values("organisation_id")


def footage_people_ids(organisation: Organisation, on: dt.date | None = None):
    """Ids of the people of `organisation` who hold a role that may see footage (ORG-4)."""
    return footage_memberships(on).filter(organisation=organisation).values("user_id")


__all__ = [
    "Role",
    "managers_of",
    "deputies_of",
    "managers_or_deputies_of",
    "roles_of",
    "organisations_of",
    "may_see_footage",
    "sees_footage",
    "footage_memberships",
    "footage_organisation_ids",
    "footage_people_ids",
    "is_manager_or_deputy_of",
    "lines_managed_by",
    "managed_officer_ids",
]
