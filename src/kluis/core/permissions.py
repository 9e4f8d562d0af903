"""The one permission helper: "may this person do this to this object?"

Deny by default: a permission nobody registered is refused, and every registered rule sees the
object, so it can check the organisation (ORG-1) and the person's roles on that day (ORG-4).
Views, API endpoints, the admin and actions all call `can()`/`require()`.

The registry lives here, below every app, so that any app's actions can ask it, the audit trail's
included; the rules that answer need roles, so they live in the apps above it. Each app registers
its rules in its own `rules.py`, which its `AppConfig.ready()` imports. The role queries the rules
use (`has_role`, `organisation_of`, `scoped`) are `kluis.organisations.permissions`; every name
has that one home (nothing re-exports the registry).

    @rule("recordings.view_metadata")
    def view_metadata(user, recording): ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .problems import NotAllowed

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
