"""Joint decisions of officer and manager to delete a recording early or to edit it (RET-5)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.permissions import require
from kluis.core.problems import Conflict, KluisError, NotAllowed
from kluis.custody.log import record
from kluis.organisations.models import Role
from kluis.organisations.people import is_manager_or_deputy_of
from kluis.organisations.permissions import has_role

from ..models import Deletion, DeletionDecision, EarlyDeletion
from .locks import locked_recording


def _side(decision_or_recording, actor, on=None) -> str | None:
    """Which side of the decision `actor` can take: the involved officer or their manager."""
    officer = decision_or_recording.officer
    if officer is None:
        return None
    if actor.pk == officer.pk:
        return "officer"
    organisation = decision_or_recording.organisation
    if is_manager_or_deputy_of(actor, officer, organisation, on):
        return "manager"
    return None


def _approve_side(decision: DeletionDecision, side: str, actor, moment) -> None:
    if side == "officer":
        decision.officer_approved_at = moment
    else:
        decision.manager = actor
        decision.manager_approved_at = moment


@transaction.atomic
def propose_decision(recording, *, kind: str, reason: str, actor) -> DeletionDecision:
    """The involved officer or their manager proposes to delete (early) or edit a recording;
    the proposal counts as the proposer's approval (RET-5)."""
    if actor is None:
        raise NotAllowed(_("A joint decision is made by people, not by the system."))
    require(actor, "retention.decide", recording)
    if kind not in DeletionDecision.Kind.values:
        raise KluisError(_("A decision is to delete or to edit."), code="unknown-decision")
    if not reason.strip():
        raise KluisError(_("Say why the recording should be deleted or edited."))
    side = _side(recording, actor)
    if side is None:
        raise NotAllowed(
            _("Only the involved officer and that officer's manager (or deputy) decide this.")
        )
    locked = locked_recording(recording)
    if locked.state != locked.State.STORED or Deletion.objects.filter(recording=locked).exists():
        raise Conflict(_("This recording is already deleted."), code="recording-deleted")
    moment = now()
    decision = DeletionDecision(
        organisation_id=locked.organisation_id,
        recording=locked,
        kind=kind,
        reason=reason,
        proposed_by=actor,
        proposed_at=moment,
        officer=locked.officer,
    )
    _approve_side(decision, side, actor, moment)
    decision.save()
    record(
        organisation=locked.organisation,
        actor=actor,
        action="deletion_decision.proposed",
        obj=decision,
        details={
            "recording_id": str(locked.pk),
            "kind": kind,
            "reason": reason,
            "approved_as": side,
        },
    )
    return decision


@transaction.atomic
def record_privacy_advice(decision: DeletionDecision, *, advice: str, actor, privacy_officer=None):
    """The privacy officer's advice on a proposal, recorded by that privacy officer or by the
    manager who asked for it, before the manager approves (RET-5, H2O 5.9)."""
    if actor is None:
        raise NotAllowed(_("Advice is recorded by a person."))
    decision = DeletionDecision.objects.select_for_update().get(pk=decision.pk)
    org = decision.organisation
    if decision.state != DeletionDecision.State.OPEN:
        raise Conflict(_("This decision is already taken."), code="decision-closed")
    adviser = privacy_officer or actor
    if not has_role(adviser, org, Role.PRIVACY_OFFICER):
        raise NotAllowed(_("Advice comes from a privacy officer of the organisation."))
    if actor.pk != adviser.pk and _side(decision, actor) != "manager":
        raise NotAllowed(_("The privacy officer, or the manager who asked, records the advice."))
    decision.privacy_officer = adviser
    decision.privacy_advice = advice
    decision.advice_recorded_at = now()
    decision.save(update_fields=["privacy_officer", "privacy_advice", "advice_recorded_at"])
    record(
        organisation=org,
        actor=actor,
        action="deletion_decision.advice",
        obj=decision,
        details={
            "recording_id": str(decision.recording_id),
            "privacy_officer": str(adviser.pk),
            "advice": advice,
        },
    )
    return decision


@transaction.atomic
def approve_decision(decision: DeletionDecision, *, actor) -> DeletionDecision:
    """The second person approves. Only the other side can: the officer cannot approve twice,
    an outsider not at all. With both approvals an early deletion becomes due at the next purge
    (unless a hold keeps the recording)."""
    if actor is None:
        raise NotAllowed(_("A joint decision is made by people, not by the system."))
    decision = DeletionDecision.objects.select_for_update().get(pk=decision.pk)
    require(actor, "retention.decide", decision.recording)
    if decision.state != DeletionDecision.State.OPEN:
        raise Conflict(_("This decision is already taken."), code="decision-closed")
    side = _side(decision, actor)
    if side is None:
        raise NotAllowed(
            _("Only the involved officer and that officer's manager (or deputy) decide this.")
        )
    already = decision.officer_approved_at if side == "officer" else decision.manager_approved_at
    if already is not None:
        raise NotAllowed(
            _("You approved already; the other person must approve too (RET-5)."),
            code="same-person",
        )
    moment = now()
    _approve_side(decision, side, actor, moment)
    both = decision.officer_approved_at and decision.manager_approved_at
    if both:
        decision.state = DeletionDecision.State.APPROVED
        decision.decided_at = moment
    decision.save()
    if both and decision.kind == DeletionDecision.Kind.DELETE:
        recording = locked_recording(decision.recording)
        EarlyDeletion.objects.update_or_create(
            recording=recording,
            defaults={
                "organisation_id": recording.organisation_id,
                "grounds": EarlyDeletion.Grounds.JOINT_DECISION,
                "due_from": moment,
                "decision": decision,
                "created_at": moment,
            },
        )
    record(
        organisation=decision.organisation,
        actor=actor,
        action="deletion_decision.approved" if both else "deletion_decision.approval",
        obj=decision,
        details={
            "recording_id": str(decision.recording_id),
            "kind": decision.kind,
            "approved_as": side,
            "officer": str(decision.officer_id),
            "manager": str(decision.manager_id) if decision.manager_id else None,
            "privacy_advice": bool(decision.privacy_advice),
        },
    )
    return decision


@transaction.atomic
def refuse_decision(decision: DeletionDecision, *, reason: str, actor) -> DeletionDecision:
    """Either party (or the proposer) ends the proposal: the recording follows its term."""
    if actor is None:
        raise NotAllowed(_("A joint decision is made by people, not by the system."))
    decision = DeletionDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.state != DeletionDecision.State.OPEN:
        raise Conflict(_("This decision is already taken."), code="decision-closed")
    if _side(decision, actor) is None:
        raise NotAllowed(
            _("Only the involved officer and that officer's manager (or deputy) decide this.")
        )
    decision.state = DeletionDecision.State.REFUSED
    decision.refused_by = actor
    decision.refusal_reason = reason
    decision.decided_at = now()
    decision.save()
    record(
        organisation=decision.organisation,
        actor=actor,
        action="deletion_decision.refused",
        obj=decision,
        details={"recording_id": str(decision.recording_id), "reason": reason},
    )
    return decision


def edit_approved(recording) -> bool:
    """May this recording be edited? Only after an approved joint decision (RET-5)."""
    return DeletionDecision.objects.filter(
        recording=recording,
        kind=DeletionDecision.Kind.EDIT,
        state=DeletionDecision.State.APPROVED,
    ).exists()
