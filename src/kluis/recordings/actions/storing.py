"""Storing a verified recording (and replacing one stored incomplete), with its signed
receipt.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from kluis.core.clock import now
from kluis.custody.events import AuditEvent
from kluis.custody.log import record
from kluis.devices.actions import camera_label
from kluis.devices.keys import sign_receipt

from ..models import Recording, Upload


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
