"""Policy changes that move deletion dates, behind the brake."""

from __future__ import annotations

from kluis.organisations.actions import update_policy


def change_retention_days(organisation, days: int, *, actor=None, confirm_due=None, reason=""):
    """Change the retention period; refused with the count when it makes recordings due at once
    unless `confirm_due` repeats that count (see terms.preview_retention_change)."""
    return update_policy(
        organisation, actor=actor, reason=reason, confirm_due=confirm_due, retention_days=days
    )
