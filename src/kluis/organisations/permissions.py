"""The role queries that permission rules are written with: "which organisation is this object
in, and does this person hold one of these roles there today?"

The registry (`rule`, `can`, `require`, `require_unless_system`, `registered`) is
`kluis.core.permissions`, below every app, so the audit trail's actions can ask it too; the
rules that answer need roles and reporting lines, so they sit in the apps above, each app's in
its own `rules.py` (this app's: `kluis.organisations.rules`). Lists of things go through
`scoped()`, which keeps a person to the organisations where they hold a role (ORG-1).
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Membership, Organisation


def organisation_of(obj) -> Organisation | None:
    """The tenant an object belongs to, following `organisation` attributes."""
    if obj is None:
        return None
    if isinstance(obj, Organisation):
        return obj
    org = getattr(obj, "organisation", None)
    if isinstance(org, Organisation):
        return org
    return None


def has_role(user, organisation, *roles: str) -> bool:
    """Does `user` hold one of `roles` in `organisation` today?"""
    if organisation is None:
        return False
    qs = Membership.objects.active().filter(user=user, organisation=organisation)
    if roles:
        qs = qs.filter(role__in=roles)
    return qs.exists()


def organisation_ids(user, *roles: str) -> QuerySet:
    """Ids of the organisations where `user` has an active role (one of `roles`, if given)."""
    qs = Membership.objects.active().filter(user=user)
    if roles:
        qs = qs.filter(role__in=roles)
    return qs.values("organisation_id")


def scoped(user, queryset: QuerySet, field: str = "organisation", *roles: str) -> QuerySet:
    """Only the rows of organisations where `user` holds a role (ORG-1). Nobody: nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    return queryset.filter(**{f"{field}__in": organisation_ids(user, *roles)})
