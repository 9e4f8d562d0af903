"""Background work of the audit trail (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from .actions import sign_chain_heads


@task(queue_name="default")
def make_checkpoints() -> int:
    """Sign every chain head that is not signed yet; returns how many checkpoints were made."""
    return len(sign_chain_heads())
