"""Every change to holds, deletion decisions, the brake and the purge's progress.

Each action checks permission, changes state and appends its audit entry in one transaction
(STYLE.md). `actor=None` is the system (the purge, or another app's action that already
checked its own permission, such as the cases app placing a hold for a GDPR request).

The purge's file work (destroying keys, deleting objects) lives in `purge.py`; every change it
makes to the database goes through the `deletion_*` actions here.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Exists
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.problems import Conflict, KluisError, NotAllowed
from kluis.custody.log import record
from kluis.organisations.models import Role
from kluis.organisations.people import is_manager_or_deputy_of
from kluis.organisations.permissions import has_role, require, require_unless_system

from .models import (
    Deletion,
    DeletionDecision,
    EarlyDeletion,
    Hold,
    MassDeletionRequest,
    PurgeRun,
)


def _locked_recording(recording):
    """Lock the recording row: holds and the purge's point of no return serialise on it."""
    from kluis.recordings.models import Recording

    return Recording.objects.select_for_update().get(pk=recording.pk)


def _after_commit_legal_hold(recording, on: bool) -> None:
    """Mirror the hold on the object store (S3 Object Lock legal hold) where it can.

    Best effort, after commit: the database hold is what the purge obeys; the legal hold only
    stops someone with a stolen store credential from deleting the object meanwhile.
    """

    def apply():
        import logging

        from kluis.recordings.storage import get_storage

        try:
            get_storage(recording.storage_url).set_legal_hold(recording.storage_key, on)
        except Exception:  # noqa: BLE001 (logged; the database hold stands)
            logging.getLogger(__name__).warning(
                "Could not set the legal hold of %s to %s", recording.pk, on, exc_info=True
            )

    transaction.on_commit(apply, robust=True)


# --- Holds (RET-2, RET-3, CPL-3) -------------------------------------------------------------


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
        from .rules import HOLD_ROLES

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
    locked = _locked_recording(recording)
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
    locked = _locked_recording(hold.recording)
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


# --- Joint deletion and editing decisions (RET-5) --------------------------------------------


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
    locked = _locked_recording(recording)
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
        recording = _locked_recording(decision.recording)
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


# --- Policy changes with the brake ---------------------------------------------------------


def change_retention_days(organisation, days: int, *, actor=None, confirm_due=None, reason=""):
    """Change the retention period; refused with the count when it makes recordings due at once
    unless `confirm_due` repeats that count (see terms.preview_retention_change)."""
    from kluis.organisations.actions import update_policy

    return update_policy(
        organisation, actor=actor, reason=reason, confirm_due=confirm_due, retention_days=days
    )


# --- The brake on mass deletion ------------------------------------------------------------


@transaction.atomic
def request_mass_deletion(organisation, *, due: int, volume) -> MassDeletionRequest:
    """The purge stopped an organisation: ask for confirmation of this number (one open
    request at a time; a new number supersedes the old request)."""
    waiting = MassDeletionRequest.objects.select_for_update().filter(
        organisation=organisation, state=MassDeletionRequest.State.WAITING
    )
    for old in waiting:
        if old.due_count == due:
            return old  # the same question, perhaps half answered: keep it
        old.state = MassDeletionRequest.State.SUPERSEDED
        old.save(update_fields=["state"])
    req = MassDeletionRequest.objects.create(
        organisation=organisation,
        due_count=due,
        threshold=volume.threshold,
        median_daily=volume.median_daily,
        created_at=now(),
    )
    record(
        organisation=organisation,
        actor=None,
        action="purge.braked",
        obj=req,
        details={
            "due": due,
            "threshold": volume.threshold,
            "median_daily": volume.median_daily,
            "deleted_last_24h": volume.deleted_last_24h,
        },
    )
    return req


@transaction.atomic
def confirm_mass_deletion(request: MassDeletionRequest, *, actor) -> MassDeletionRequest:
    """A functional administrator and a manager, two people, confirm the number (the brake)."""
    if actor is None:
        raise NotAllowed(_("A mass deletion is confirmed by people, not by the system."))
    req = MassDeletionRequest.objects.select_for_update().get(pk=request.pk)
    require(actor, "retention.confirm_mass_deletion", req)
    if req.state != MassDeletionRequest.State.WAITING:
        raise Conflict(_("This request is no longer waiting for confirmation."))
    org = req.organisation
    if actor.pk in (req.admin_confirmed_by_id, req.manager_confirmed_by_id):
        raise NotAllowed(
            _("You confirmed already; a second person must confirm too."), code="same-person"
        )
    moment = now()
    if req.admin_confirmed_by_id is None and has_role(actor, org, Role.FUNCTIONAL_ADMIN):
        req.admin_confirmed_by, req.admin_confirmed_at, slot = actor, moment, "admin"
    elif req.manager_confirmed_by_id is None and has_role(
        actor, org, Role.MANAGER, Role.DEPUTY_MANAGER
    ):
        req.manager_confirmed_by, req.manager_confirmed_at, slot = actor, moment, "manager"
    else:
        raise NotAllowed(
            _("A functional administrator and a manager confirm; this part is already done.")
        )
    if req.admin_confirmed_by_id and req.manager_confirmed_by_id:
        req.state = MassDeletionRequest.State.CONFIRMED
    req.save()
    record(
        organisation=org,
        actor=actor,
        action="purge.mass_deletion_confirmed"
        if req.state == MassDeletionRequest.State.CONFIRMED
        else "purge.mass_deletion_confirmation",
        obj=req,
        details={"due": req.due_count, "threshold": req.threshold, "as": slot},
    )
    return req


@transaction.atomic
def mass_deletion_used(request: MassDeletionRequest, *, deleted: int) -> None:
    MassDeletionRequest.objects.filter(
        pk=request.pk, state=MassDeletionRequest.State.CONFIRMED
    ).update(state=MassDeletionRequest.State.USED)
    record(
        organisation=request.organisation,
        actor=None,
        action="purge.mass_deletion_done",
        obj=request,
        details={"due": request.due_count, "deleted": deleted},
    )


# --- The purge's progress (called by purge.py only) -------------------------------------------


@transaction.atomic
def purge_started() -> PurgeRun:
    return PurgeRun.objects.create(started_at=now())


@transaction.atomic
def purge_finished(run: PurgeRun, *, error: str = "") -> PurgeRun:
    """Close the run with its summary, in the installation's audit chain (each deletion has its
    own entry in its organisation's chain)."""
    run.finished_at = now()
    run.state = PurgeRun.State.FAILED if error else PurgeRun.State.FINISHED
    run.error = error
    run.save()
    record(
        organisation=None,
        actor=None,
        action="purge.finished" if not error else "purge.failed",
        obj=run,
        details={
            "deleted": run.deleted,
            "resumed": run.resumed,
            "braked": run.braked,
            "error": error[:500],
        },
    )
    return run


def _grounds(recording, early_by_id, at) -> str:
    early = early_by_id.get(recording.pk)
    if early is not None and early.due_from <= at and not recording.retention_until <= at:
        return early.grounds
    return "term"


@transaction.atomic
def deletion_claim(recording_ids, *, run: PurgeRun, fingerprints: dict, at=None) -> list[Deletion]:
    """The point of no return, for a batch: under a lock on each recording, re-check that it
    is due and has no active hold, and write its Deletion in state `started`."""
    from kluis.recordings.models import Recording

    from .terms import active_holds

    at = at or now()
    locked = list(
        Recording.objects.select_for_update()
        .filter(pk__in=list(recording_ids), state=Recording.State.STORED)
        .order_by("pk")
    )
    ids = [r.pk for r in locked]
    # Checked in statements after the lock, so a hold committed before it is always seen.
    held = set(
        Recording.objects.filter(pk__in=ids)
        .filter(Exists(active_holds()))
        .values_list("pk", flat=True)
    )
    taken = set(Deletion.objects.filter(recording_id__in=ids).values_list("pk", flat=True))
    early_by_id = {e.recording_id: e for e in EarlyDeletion.objects.filter(recording_id__in=ids)}
    claims = []
    for rec in locked:
        if rec.pk in held or rec.pk in taken:
            continue
        early = early_by_id.get(rec.pk)
        if not (rec.retention_until <= at or (early is not None and early.due_from <= at)):
            continue
        claims.append(
            Deletion(
                recording=rec,
                organisation_id=rec.organisation_id,
                state=Deletion.State.STARTED,
                grounds=_grounds(rec, early_by_id, at),
                key_fingerprint=fingerprints.get(rec.pk, ""),
                run=run,
                started_at=now(),
            )
        )
    try:
        Deletion.objects.bulk_create(claims)
    except IntegrityError:
        raise Conflict(_("Another purge claimed these recordings at the same moment; rerun."))
    return claims


@transaction.atomic
def deletion_step(deletion_ids, *, done: str) -> int:
    """Persist that the external step `done` (key destroyed / object deleted) is done."""
    before = {
        Deletion.State.KEY_DESTROYED: Deletion.State.STARTED,
        Deletion.State.OBJECT_DELETED: Deletion.State.KEY_DESTROYED,
    }[done]
    field = {
        Deletion.State.KEY_DESTROYED: "key_destroyed_at",
        Deletion.State.OBJECT_DELETED: "object_deleted_at",
    }[done]
    return Deletion.objects.filter(pk__in=list(deletion_ids), state=before).update(
        state=done, **{field: now()}
    )


def _mark_deleted(deletions: list[Deletion], certificates: dict, moment) -> None:
    """One UPDATE per row through executemany: bulk_update's CASE over 500 JSON documents costs
    more than the deletions themselves (the rows are locked and checked by the caller)."""
    if not deletions:
        return
    conn = transaction.get_connection()
    meta = Deletion._meta
    qn = conn.ops.quote_name
    state, at, cert, pk = (
        meta.get_field(n) for n in ("state", "deleted_at", "certificate", "recording")
    )
    # Only quoted names from the model's own metadata go into the text; values are parameters.
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {qn(state.column)} = %s, {qn(at.column)} = %s, "  # noqa: S608
        f"{qn(cert.column)} = %s WHERE {qn(pk.column)} = %s"
    )
    rows = [
        (
            Deletion.State.DELETED.value,
            at.get_db_prep_value(moment, conn),
            cert.get_db_prep_value(certificates[d.pk], conn),
            pk.get_db_prep_value(d.pk, conn),
        )
        for d in deletions
    ]
    with conn.cursor() as cur:
        cur.executemany(sql, rows)


@transaction.atomic
def deletion_done(deletions: list[Deletion], certificates: dict) -> int:
    """Key and object were found gone: the recording is deleted. Write its certificate into the
    audit trail (RET-4, AUD-1) and mark the recording shredded, all in one transaction."""
    from kluis.organisations.models import Organisation
    from kluis.recordings.models import Recording

    moment = now()
    orgs = Organisation.objects.in_bulk({d.organisation_id for d in deletions})
    # Only deletions still waiting for this step (a concurrent or earlier run may have done it).
    ready = list(
        Deletion.objects.select_for_update()
        .filter(pk__in=[d.pk for d in deletions], state=Deletion.State.OBJECT_DELETED)
        .order_by("pk")
    )
    _mark_deleted(ready, certificates, moment)
    Recording.objects.filter(pk__in=[d.pk for d in ready]).update(state=Recording.State.SHREDDED)
    for deletion in ready:
        record(
            organisation=orgs[deletion.organisation_id],
            actor=None,
            action="recording.deleted",
            object_type="recordings.recording",
            object_id=str(deletion.pk),
            details=certificates[deletion.pk],
        )
    return len(ready)
