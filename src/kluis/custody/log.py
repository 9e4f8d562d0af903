"""The one way to write the audit trail.

`record()` must run inside the transaction of the change it describes, so an entry never exists
without its change and a failed change leaves no entry (AUD-1).
"""

from __future__ import annotations

from django.db import transaction

from kluis.core.clock import now

from .models import AuditEntry


def record(
    *,
    organisation,
    actor,
    action: str,
    obj=None,
    purpose: str = "",
    details: dict | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Append one entry. `actor=None` is the system; `actor_label` names a camera or citizen."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit entries are written inside the action's transaction")
    label = actor_label or (str(actor.get_username()) if actor is not None else "system")
    return AuditEntry.objects.create(
        at=now(),
        organisation=organisation,
        actor=actor,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        purpose=purpose,
        details=details or {},
    )
