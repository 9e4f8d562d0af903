"""The purge's progress in the database: its runs and each recording's deletion steps.

Called by `retention/purge.py` only, which does the file work (destroying keys, deleting
objects) between these steps.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Exists
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.problems import Conflict
from kluis.custody.log import record
from kluis.organisations.models import Organisation
from kluis.recordings.models import Recording

from ..models import Deletion, EarlyDeletion, PurgeRun
from ..terms import active_holds


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
