"""The one permission helper: "may this person do this to this object?"

Deny by default: a permission nobody registered is refused, and every registered rule sees the
object, so it can check the organisation (ORG-1) and the person's roles on that day (ORG-4).
Views, API endpoints, the admin and actions all call `can()`/`require()`; querysets that list
things go through `scoped()`.

This module is the helper only. Each app registers its rules in its own `rules.py`, which its
`AppConfig.ready()` imports (this app's too: `kluis.organisations.rules`):

    @rule("recordings.view_metadata")
    def view_metadata(user, recording): ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from kluis.core.problems import NotAllowed

from .models import Membership, Organisation

_RULES: dict[str, Callable[[Any, Any], bool]] = {}


def rule(name: str):
    """Register the predicate that decides permission `name`."""

    def register(fn):
        if name in _RULES and _RULES[name] is not fn:
            raise RuntimeError(f"permission {name!r} is registered twice")
        _RULES[name] = fn
        return fn

    return register


def registered() -> list[str]:
    """Every permission Kluis knows (tests check each against every role)."""
    return sorted(_RULES)


def can(user, permission: str, obj=None) -> bool:
    """True only when a registered rule says yes for an active, authenticated person."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    fn = _RULES.get(permission)
    if fn is None:
        return False
    return bool(fn(user, obj))


def require(user, permission: str, obj=None, message: str | None = None) -> None:
    """Raise NotAllowed (HTTP 403) unless `can()` says yes."""
    if not can(user, permission, obj):
        raise NotAllowed(message or "You are not allowed to do this.", code="not-allowed")


def require_unless_system(actor, permission: str, obj=None) -> None:
    """For actions that the system also runs (setup, ingest, purge): `actor=None` is the system
    itself and needs no permission; any person must pass `require()`."""
    if actor is not None:
        require(actor, permission, obj)


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
