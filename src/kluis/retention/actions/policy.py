"""Policy changes that move deletion dates, behind the brake."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils.translation import gettext as _

from kluis.core.problems import Conflict
from kluis.custody.log import record
from kluis.organisations.actions import update_policy
from kluis.recordings.models import Recording

from ..terms import preview_retention_change


def change_retention_days(organisation, days: int, *, actor=None, confirm_due=None, reason=""):
    """Change the retention period; refused with the count when it makes recordings due at once
    unless `confirm_due` repeats that count (see terms.preview_retention_change)."""
    return update_policy(
        organisation, actor=actor, reason=reason, confirm_due=confirm_due, retention_days=days
    )


def retention_changed(organisation, old_days: int, new_days: int, *, confirm_due=None, actor=None):
    """Recompute every stored recording's term after a change of retention days.

    Run inside `organisations.actions.update_policy`'s transaction, which sends
    `retention_days_changed` (answered by `receivers.recompute_terms`). A change that
    would make recordings due at once is refused unless `confirm_due` repeats the number the
    preview showed: so nobody shortens the term of an archive by accident (the Oakland case).
    """
    preview = preview_retention_change(organisation, new_days, old_days=old_days)
    if preview.newly_due and confirm_due != preview.newly_due:
        raise Conflict(
            _(
                "This change makes %(count)d recordings due for deletion at once. Check the "
                "number and confirm it to go ahead."
            )
            % {"count": preview.newly_due},
            code="retention-change-needs-confirmation",
            newly_due=preview.newly_due,
            newly_past_term_held=preview.newly_past_term_held,
        )
    changed = Recording.objects.filter(
        organisation=organisation, state=Recording.State.STORED
    ).update(retention_until=F("retention_until") + dt.timedelta(days=new_days - old_days))
    record(
        organisation=organisation,
        actor=actor,
        action="retention.terms_recomputed",
        obj=organisation,
        details={
            "old_days": old_days,
            "new_days": new_days,
            "recordings": changed,
            "newly_due": preview.newly_due,
            "newly_past_term_held": preview.newly_past_term_held,
            "confirmed_due": confirm_due,
        },
    )
    return preview
