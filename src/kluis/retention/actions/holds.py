"""Holds: keep a recording until its case is closed (RET-2, RET-3, CPL-3)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.permissions import require_unless_system
from kluis.core.problems import Conflict, KluisError, NotAllowed
from kluis.custody.log import record
from kluis.organisations.permissions import has_role
from kluis.recordings.storage import get_storage

from ..models import Deletion, EarlyDeletion, Hold
from ..rules import HOLD_ROLES
from .locks import locked_recording

logger = logging.getLogger(__name__)


def _after_commit_legal_hold(recording, on: bool) -> None:
    """Mirror the hold on the object store (S3 Object Lock legal hold) where it can.

    Best effort, after commit: the database hold is what the purge obeys; the legal hold only
    stops someone with a stolen store credential from deleting the object meanwhile.
    """

    def apply():
        try:
            get_storage(recording.storage_url).set_legal_hold(recording.storage_key, on)
        except Exception:  # noqa: BLE001 (logged; the database hold stands)
            logger.warning(
                "Could not set the legal hold of %s to %s", recording.pk, on, exc_info=True
            )

    transaction.on_commit(apply, robust=True)


@transaction.atomic
def place_hold(recording, *, reason: str, case_reference: str, note: str = "", actor=None) -> Hold:
    """Keep a recording until its case is closed (RET-2). Placing the same hold twice is a no-op.

    Refused once the purge has passed its point of no return on the recording: its key may
    already be gone, and a hold that pretends otherwise would mislead the case.
    """
    require_unless_system(actor, "retention.place_hold", recording)
    if reason not in Hold.Reason.values:
        raise KluisError(
            _("Unknown hold reason %(reason)s; choose one of: %(choices)s.")
            % {"reason": reason, "choices": ", ".join(Hold.Reason.values)},
            code="unknown-hold-reason",
        )
    if not case_reference.strip():
        raise KluisError(_("A hold names the case it belongs to."), code="hold-needs-case")
    if actor is not None:
        if reason == Hold.Reason.LEARNING and recording.officer_id != actor.pk:
            raise NotAllowed(
                _("Only the involved officer can keep a recording for learning (ACC-3)."),
                code="learning-officer-only",
            )
        handler = has_role(actor, recording.organisation, *HOLD_ROLES)
        if not handler and reason != Hold.Reason.LEARNING:
            raise NotAllowed(
                _(
                    "Officers hold their own recordings for learning only; cases are held by "
                    "the people who handle them."
                ),
                code="officer-learning-only",
            )
    locked = locked_recording(recording)
    if locked.state != locked.State.STORED or Deletion.objects.filter(recording=locked).exists():
        raise Conflict(
            _("This recording is deleted or being deleted; it can no longer be held."),
            code="recording-deleted",
        )
    existing = Hold.objects.active().filter(
        recording=locked, reason=reason, case_reference=case_reference
    )
    if hold := existing.first():
        return hold
    hold = Hold.objects.create(
        organisation_id=locked.organisation_id,
        recording=locked,
        reason=reason,
        case_reference=case_reference.strip(),
        note=note,
        placed_by=actor,
        placed_at=now(),
    )
    record(
        organisation=locked.organisation,
        actor=actor,
        action="hold.placed",
        obj=hold,
        details={
            "recording_id": str(locked.pk),
            "reason": reason,
            "case": hold.case_reference,
            "note": note,
        },
    )
    _after_commit_legal_hold(locked, True)
    return hold


@transaction.atomic
def release_hold(hold: Hold, *, note: str = "", actor=None) -> Hold:
    """End a hold because its case is closed (RET-3, CPL-3).

    When it was the last active hold and the policy deletes after handling (Dordrecht), the
    recording becomes due at the next purge, even before its term.
    """
    require_unless_system(actor, "retention.release_hold", hold)
    locked = locked_recording(hold.recording)
    hold = Hold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        return hold
    moment = now()
    hold.released_at = moment
    hold.released_by = actor
    hold.release_note = note
    hold.save(update_fields=["released_at", "released_by", "release_note"])
    last = not Hold.objects.active().filter(recording=locked).exists()
    early = None
    if last and locked.organisation.policy.delete_after_handling:
        early, _created = EarlyDeletion.objects.get_or_create(
            recording=locked,
            defaults={
                "organisation_id": locked.organisation_id,
                "grounds": EarlyDeletion.Grounds.AFTER_HANDLING,
                "due_from": moment,
                "created_at": moment,
            },
        )
    record(
        organisation=locked.organisation,
        actor=actor,
        action="hold.released",
        obj=hold,
        details={
            "recording_id": str(locked.pk),
            "reason": hold.reason,
            "case": hold.case_reference,
            "note": note,
            "last_hold": last,
            "delete_after_handling": early is not None,
        },
    )
    if last:
        _after_commit_legal_hold(locked, False)
    return hold


def release_case(organisation, case_reference: str, *, note: str = "", actor=None) -> list[Hold]:
    """Release every active hold of one case: what the cases app calls when a case is handled."""
    released = []
    with transaction.atomic():
        holds = Hold.objects.active().filter(
            organisation=organisation, case_reference=case_reference
        )
        for hold in holds.select_related("recording"):
            released.append(release_hold(hold, note=note, actor=actor))
    return released
