"""Uploads: started, advanced, reset, reopened and rejected, each step audited."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.problems import Conflict
from kluis.custody.events import AuditEvent
from kluis.custody.log import record
from kluis.devices.actions import camera_label

from ..models import Recording, Upload


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
    from ..ingest import may_replace  # ingest imports these actions

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
