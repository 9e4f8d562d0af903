"""Who changes an organisation's set-up: the check its actions share."""

from __future__ import annotations

from kluis.core.permissions import require


def require_manage(actor, organisation) -> None:
    """The organisation's functional administrators, the installation's operator (superuser,
    who also creates organisations) and the system change its set-up."""
    if actor is not None and not actor.is_superuser:
        require(actor, "organisations.manage", organisation)
