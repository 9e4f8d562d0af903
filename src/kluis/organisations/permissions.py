"""The one permission helper: "may this person do this to this object?"

Deny by default: a permission nobody registered is refused, and every registered rule sees the
object, so it can check the organisation (ORG-1) and the person's roles on that day (ORG-4).
Views, API endpoints, the admin and actions all call `can()`/`require()`; querysets that list
things go through `scoped()`.

The registry itself (`rule`, `can`, `require`) is `kluis.core.permissions`, below every app, and
is re-exported here; this module adds the role queries the rules ask (`has_role`, `scoped`).
This module is the helper only. Each app registers its rules in its own `rules.py`, which its
`AppConfig.ready()` imports (this app's too: `kluis.organisations.rules`):

    @rule("recordings.view_metadata")
    def view_metadata(user, recording): ...
"""

from __future__ import annotations

from django.db.models import QuerySet

# The registry is below every app (the audit trail's actions ask it too); callers keep
# importing it from here, next to the role queries their rules use.
from kluis.core.permissions import (  # noqa: F401
    can,
    registered,
    require,
    require_unless_system,
    rule,
)

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
