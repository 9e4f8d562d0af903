"""Retention's answers to the signals of lower apps (connected in `RetentionConfig.ready`)."""

from __future__ import annotations

from .actions import retention_changed


def recompute_terms(
    sender, *, organisation, old_days, new_days, confirm_due=None, actor=None, **kw
):
    """`organisations.signals.retention_days_changed`: move every stored recording's term, or
    refuse the change (the brake) when it makes recordings due at once unconfirmed."""
    retention_changed(organisation, old_days, new_days, confirm_due=confirm_due, actor=actor)
