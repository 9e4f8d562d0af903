"""State changes of uploads, recordings and storage locations, each with its audit entry.

The file work of ingest (staging, verifying, storing) is in `ingest.py`; it calls these actions
for every change to the database, so that an audit entry exists exactly when the change does.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.permissions import require, require_unless_system
from kluis.core.problems import Conflict, KluisError
from kluis.custody.events import AuditEvent
from kluis.custody.log import record
from kluis.devices.actions import camera_label
from kluis.devices.keys import sign_receipt

from .models import ProcessingAgreement, Recording, StorageLocation, Upload


def start_upload(camera, *, recording_id, size: int, sha256: str) -> tuple[Upload, bool]:
    """Open (or find again) the upload of one recording; idempotent on the recording id."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                upload = Upload.objects.select_for_update().filter(pk=recording_id).first()
                if upload is not None:
                    if upload.camera_id != camera.pk:
                        raise Conflict(
                            _("This recording id is already used by another camera."),
                            code="recording-id-taken",
                        )
                    if (upload.size != size or upload.sha256 != sha256) and _reopens(upload, size):
                        return _reopen_upload(upload, size=size, sha256=sha256), True
                    if upload.size != size or upload.sha256 != sha256:
                        raise Conflict(
                            _(
                                "This recording was already announced with another size or "
                                "SHA-256; a recording cannot change."
                            ),
                            code="upload-mismatch",
                            offset=upload.offset,
                        )
                    return upload, False
                moment = now()
                upload = Upload.objects.create(
                    recording_id=recording_id,
                    organisation=camera.organisation,
                    camera=camera,
                    size=size,
                    sha256=sha256,
                    created_at=moment,
                    updated_at=moment,
                )
                record(
                    organisation=camera.organisation,
                    actor=None,
                    actor_label=camera_label(camera),
                    action="upload.started",
                    obj=upload,
                    details={"recording_id": str(recording_id), "size": size, "sha256": sha256},
                )
                return upload, True
        except IntegrityError:
            continue  # another request created it at the same moment: read theirs
    raise Conflict(_("The upload is being created by another request; retry."), code="upload-busy")


def _reopens(upload: Upload, size: int) -> bool:
    """A longer file of a recording that was stored incomplete opens its upload again."""
    from .ingest import may_replace

    if upload.state != Upload.State.COMPLETE:
        return False
    recording = Recording.objects.filter(pk=upload.pk).first()
    return recording is not None and may_replace(recording, size)


def _reopen_upload(upload: Upload, *, size: int, sha256: str) -> Upload:
    """Receive the longer file from offset 0; the stored recording stays until it is verified."""
    old = {"size": upload.size, "sha256": upload.sha256}
    upload.size, upload.sha256, upload.offset = size, sha256, 0
    upload.state = Upload.State.RECEIVING
    upload.updated_at = now()
    upload.save(update_fields=["size", "sha256", "offset", "state", "updated_at"])
    record(
        organisation=upload.camera.organisation,
        actor=None,
        actor_label=camera_label(upload.camera),
        action=AuditEvent.UPLOAD_STARTED,
        obj=upload,
        details={
            "recording_id": str(upload.pk),
            "size": size,
            "sha256": sha256,
            "replaces": old,
        },
    )
    return upload


@transaction.atomic
def advance_upload(upload: Upload, *, old_offset: int, new_offset: int) -> Upload:
    """Move the durable offset after bytes were written and fsynced; refuses a stale offset."""
    changed = Upload.objects.filter(
        pk=upload.pk, offset=old_offset, state=Upload.State.RECEIVING
    ).update(offset=new_offset, updated_at=now())
    if not changed:
        current = Upload.objects.get(pk=upload.pk)
        raise Conflict(
            _("The upload is at another offset; continue from the offset given."),
            code="upload-offset",
            offset=current.offset,
        )
    upload.offset = new_offset
    return upload


@transaction.atomic
def reset_upload(upload: Upload, *, offset: int, reason: str) -> Upload:
    """Move an upload back when fewer bytes survived on disk than were acknowledged."""
    Upload.objects.filter(pk=upload.pk).update(offset=offset, updated_at=now())
    record(
        organisation=upload.organisation,
        actor=None,
        action="upload.reset",
        obj=upload,
        details={"from": upload.offset, "to": offset, "reason": reason},
    )
    upload.offset = offset
    return upload


@transaction.atomic
def reject_upload(upload: Upload, *, code: str, reason: str) -> Recording | None:
    """Verification failed: forget the upload entirely (nothing of it stays stored).

    A refused replacement of a stored recording puts the upload back to that recording's file
    instead, and returns the recording.
    """
    stored = Recording.objects.filter(pk=upload.pk).first()
    if stored is not None:
        Upload.objects.filter(pk=upload.pk).update(
            size=stored.size,
            sha256=stored.sha256,
            offset=stored.size,
            state=Upload.State.COMPLETE,
            updated_at=now(),
        )
    else:
        Upload.objects.filter(pk=upload.pk, state=Upload.State.RECEIVING).delete()
    record(
        organisation=upload.organisation,
        actor=None,
        actor_label=camera_label(upload.camera),
        action="upload.rejected",
        obj=None,
        details={
            "recording_id": str(upload.recording_id),
            "camera": upload.camera.serial,
            "code": code,
            "reason": reason,
        },
    )
    return stored


def format_receipt_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@transaction.atomic
def store_recording(upload: Upload, **fields) -> Recording:
    """The upload is verified and durably stored: make the Recording visible, sign the receipt.

    Runs once per recording: a second completion (a retry after a crash, a concurrent upload)
    finds the Recording and returns it unchanged.
    """
    locked = Upload.objects.select_for_update().get(pk=upload.pk)
    existing = Recording.objects.filter(pk=upload.recording_id).first()
    if existing is not None:
        return existing
    stored_at = now().replace(microsecond=0)
    receipt = sign_receipt(
        {
            "recording_id": str(upload.recording_id),
            "camera_id": str(upload.camera_id),
            "organisation_id": str(upload.organisation_id),
            "sha256": upload.sha256,
            "size": upload.size,
            "stored_at": format_receipt_time(stored_at),
        }
    )
    recording = Recording.objects.create(
        id=upload.recording_id,
        organisation_id=upload.organisation_id,
        camera_id=upload.camera_id,
        size=upload.size,
        sha256=upload.sha256,
        stored_at=stored_at,
        receipt=receipt,
        **fields,
    )
    locked.offset = locked.size
    locked.state = Upload.State.COMPLETE
    locked.updated_at = stored_at
    locked.save(update_fields=["offset", "state", "updated_at"])
    record(
        organisation=upload.organisation,
        actor=None,
        actor_label=camera_label(upload.camera),
        action="recording.ingested",
        obj=recording,
        details={
            "camera": upload.camera.serial,
            "officer": str(recording.officer_id) if recording.officer_id else None,
            "started_at": recording.started_at.isoformat(),
            "stopped_at": recording.stopped_at.isoformat() if recording.stopped_at else None,
            "complete": recording.complete,
            "size": recording.size,
            "sha256": recording.sha256,
            "header_sha256": recording.header_sha256,
            "ciphertext_sha256": recording.ciphertext_sha256,
            "storage": recording.storage_url.split("?")[0],
            "object": recording.storage_key,
            "key_store_entry": recording.data_key_name,
            "retention_until": recording.retention_until.isoformat(),
        },
    )
    _flag_clock(upload, recording)
    return recording


def _receipt(upload: Upload, stored_at) -> dict:
    return sign_receipt(
        {
            "recording_id": str(upload.recording_id),
            "camera_id": str(upload.camera_id),
            "organisation_id": str(upload.organisation_id),
            "sha256": upload.sha256,
            "size": upload.size,
            "stored_at": format_receipt_time(stored_at),
        }
    )


def _flag_clock(upload: Upload, recording: Recording) -> None:
    if not recording.clock_implausible:
        return
    record(
        organisation=upload.organisation,
        actor=None,
        actor_label=camera_label(upload.camera),
        action=AuditEvent.RECORDING_CLOCK_IMPLAUSIBLE,
        obj=recording,
        details={
            "camera": upload.camera.serial,
            "started_at": recording.started_at.isoformat(),
            "stored_at": recording.stored_at.isoformat(),
            "why": recording.clock_note,
            "retention_until": recording.retention_until.isoformat(),
        },
    )


@transaction.atomic
def replace_recording(upload: Upload, **fields) -> Recording:
    """A longer, verified file of a recording stored incomplete takes its place (audited).

    The camera gets a receipt for the full file (so it may erase it); the stored recording keeps
    its id, holds and audit history, and its term never moves earlier than it was.
    """
    locked = Upload.objects.select_for_update().get(pk=upload.pk)
    recording = Recording.objects.select_for_update().get(pk=upload.recording_id)
    if recording.sha256 == locked.sha256:
        return recording
    stored_at = now().replace(microsecond=0)
    old = {
        "size": recording.size,
        "sha256": recording.sha256,
        "object": recording.storage_key,
        "chunks": recording.chunk_count,
        "complete": recording.complete,
    }
    fields["retention_until"] = max(fields["retention_until"], recording.retention_until)
    for name in ("officer", "assignment"):
        if getattr(recording, f"{name}_id") is not None:
            fields.pop(name, None)  # an officer assigned by a manager stays
    for name, value in fields.items():
        setattr(recording, name, value)
    recording.size, recording.sha256 = locked.size, locked.sha256
    recording.stored_at = stored_at
    recording.receipt = _receipt(locked, stored_at)
    recording.save()
    locked.offset = locked.size
    locked.state = Upload.State.COMPLETE
    locked.updated_at = stored_at
    locked.save(update_fields=["offset", "state", "updated_at"])
    record(
        organisation=upload.organisation,
        actor=None,
        actor_label=camera_label(upload.camera),
        action=AuditEvent.RECORDING_REPLACED,
        obj=recording,
        details={
            "camera": upload.camera.serial,
            "replaced": old,
            "size": recording.size,
            "sha256": recording.sha256,
            "object": recording.storage_key,
            "chunks": recording.chunk_count,
            "complete": recording.complete,
            "retention_until": recording.retention_until.isoformat(),
        },
    )
    _flag_clock(upload, recording)
    return recording


@transaction.atomic
def record_processing_agreement(
    organisation,
    *,
    processor: str,
    reference: str,
    signed_on: dt.date,
    security_terms_signed: bool,
    actor=None,
) -> ProcessingAgreement:
    """Record that a processing agreement (and its security terms) is signed (STO-2)."""
    require_unless_system(actor, "devices.manage", organisation)
    agreement = ProcessingAgreement(
        organisation=organisation,
        processor=processor,
        reference=reference,
        signed_on=signed_on,
        security_terms_signed=security_terms_signed,
        recorded_by=actor,
        recorded_at=now(),
    )
    agreement.full_clean()
    agreement.save()
    record(
        organisation=organisation,
        actor=actor,
        action="processing_agreement.recorded",
        obj=agreement,
        details={
            "processor": processor,
            "reference": reference,
            "signed_on": str(signed_on),
            "security_terms_signed": security_terms_signed,
        },
    )
    return agreement


@transaction.atomic
def enable_storage_location(
    organisation, *, url: str, external: bool, agreement=None, actor=None
) -> StorageLocation:
    """Send the organisation's new recordings to `url`; external needs a signed agreement."""
    from .storage import get_storage

    require_unless_system(actor, "devices.manage", organisation)
    if external and (
        agreement is None
        or agreement.organisation_id != organisation.pk
        or not agreement.security_terms_signed
        or agreement.signed_on > now().date()
    ):
        raise KluisError(
            _(
                "An external storage location needs a signed processing agreement with "
                "signed security terms, recorded for this organisation first (STO-2)."
            ),
            code="processing-agreement-missing",
            status=409,
        )
    get_storage(url)  # refuses a URL it cannot use before anything is saved
    location, _created = StorageLocation.objects.update_or_create(
        organisation=organisation,
        defaults={
            "url": url,
            "external": external,
            "agreement": agreement if external else None,
            "enabled_by": actor,
            "enabled_at": now(),
        },
    )
    record(
        organisation=organisation,
        actor=actor,
        action="storage_location.enabled",
        obj=location,
        details={
            "url": url.split("?")[0],
            "external": external,
            "agreement": agreement.pk if agreement else None,
        },
    )
    return location


class OfficerNotAssignable(KluisError):
    status = 409
    code = "officer-not-assignable"
    title = "Officer cannot be assigned"


@transaction.atomic
def assign_officer(actor, recording: Recording, officer) -> Recording:
    """A manager of the camera's team names the officer of a recording that has none.

    Until then the recording shows in the team's list as "officer unknown"; afterwards it is
    the officer's like any other (their list, their incident report). Nobody names themselves.
    """
    from kluis.organisations.models import Membership, Role

    recording = Recording.objects.select_for_update().get(pk=recording.pk)
    require(actor, "recordings.assign_officer", recording)
    if officer.pk == actor.pk:
        raise OfficerNotAssignable(_("You cannot name yourself as the officer of a recording."))
    is_officer = (
        Membership.objects.active()
        .filter(user=officer, organisation_id=recording.organisation_id, role=Role.OFFICER)
        .exists()
    )
    if not is_officer:
        raise OfficerNotAssignable(
            _("%(person)s is not an officer of this organisation.") % {"person": officer}
        )
    recording.officer = officer
    recording.save(update_fields=["officer"])
    record(
        organisation=recording.organisation,
        actor=actor,
        action=AuditEvent.RECORDING_OFFICER_ASSIGNED,
        obj=recording,
        details={"officer": str(officer.pk), "team": recording.team.name},
    )
    return recording
