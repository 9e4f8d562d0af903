"""Ingest: stream upload bytes to a staging file, verify the whole recording, store it.

The order of steps is what makes ingest lose nothing and store nothing half (CAM-2):

1. Each PATCH is written at its offset, hashed while streaming, and fsynced; only then does the
   database offset move. A body that is cut off or does not match its signed hash is cut off the
   staging file again: the offset never covers bytes that were not checked.
2. When the last byte is in, the staged file is verified (camera signatures, chunk structure,
   whole-file SHA-256) before anything becomes visible. A failure discards the upload (422).
3. The data key is unwrapped with the organisation key and kept in the key store under a
   per-recording entry; the wrapped copy is overwritten in the staged file (RET-4).
4. The file is stored (atomic rename / completed multipart upload), then the Recording and the
   signed receipt are committed in one transaction. A crash anywhere before the commit leaves
   the upload resumable, and its retry repeats steps 2-4 idempotently.

A file lock per upload serialises requests for one recording on a host; the database's
compare-and-set on the offset and the Recording's primary key guard the rest.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from kluis import sealed
from kluis.core.clock import now
from kluis.core.problems import Conflict, KluisError, NotFoundError
from kluis.devices.actions import assignment_at
from kluis.devices.keys import InvalidCameraKey, check_camera_public_key, organisation_private_key
from kluis.devices.keystore import KeyMissing, get_keystore
from kluis.devices.models import OrganisationKey
from kluis.sealed.durable import fsync_dir

from . import actions
from .models import Recording, Upload
from .storage import StorageError, get_storage

log = logging.getLogger(__name__)

READ_SIZE = 1024 * 1024
LOCK_WAIT_SECONDS = 25.0


class UploadRejected(KluisError):
    status = 422
    code = "recording-invalid"
    title = "Recording rejected"


class BodyRejected(KluisError):
    status = 400
    code = "body-hash-mismatch"
    title = "Body rejected"


def staging_dir() -> Path:
    path = Path(settings.UPLOAD_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def staged_path(upload: Upload) -> Path:
    return staging_dir() / f"{upload.recording_id}.part"


def data_key_name(recording_id) -> str:
    return f"recording/{recording_id}/data-key"


@contextlib.contextmanager
def upload_lock(upload: Upload, *, wait: float = LOCK_WAIT_SECONDS):
    """Hold the per-upload file lock; the kernel drops it if the process dies (SIGKILL)."""
    fd = os.open(staging_dir() / f"{upload.recording_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                    raise Conflict(
                        _("Another request is working on this upload; retry in a moment."),
                        code="upload-busy",
                    )
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def receive(upload: Upload, *, offset: int, stream, length: int, body_sha256: str) -> Upload:
    """Take one PATCH body at `offset`; completes the upload when it is the last piece."""
    if upload.state == Upload.State.COMPLETE:
        return upload
    if length > settings.UPLOAD_PATCH_MAX_BYTES:
        raise KluisError(
            _("One PATCH may carry at most %(max)d bytes; send the rest in further PATCHes.")
            % {"max": settings.UPLOAD_PATCH_MAX_BYTES},
            code="upload-patch-too-large",
            status=413,
        )
    if offset != upload.offset:
        raise Conflict(
            _("The upload is at another offset; continue from the offset given."),
            code="upload-offset",
            offset=upload.offset,
        )
    if offset + length > upload.size:
        raise KluisError(
            _("These bytes go beyond the size announced for the recording (%(size)d bytes).")
            % {"size": upload.size},
            code="upload-too-long",
            offset=upload.offset,
        )
    with upload_lock(upload):
        try:
            upload.refresh_from_db()
        except Upload.DoesNotExist:
            raise NotFoundError(_("This upload was discarded; announce the recording again."))
        if upload.state == Upload.State.COMPLETE:
            return upload
        if upload.offset != offset:
            raise Conflict(
                _("The upload is at another offset; continue from the offset given."),
                code="upload-offset",
                offset=upload.offset,
            )
        path = staged_path(upload)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            on_disk = os.fstat(fd).st_size
            if on_disk < offset:
                # Acknowledged bytes did not survive (an OS crash before fsync): go back.
                actions.reset_upload(upload, offset=on_disk, reason="staged bytes missing")
                raise Conflict(
                    _("The server lost bytes it had acknowledged; continue from the offset given."),
                    code="upload-offset",
                    offset=on_disk,
                )
            os.ftruncate(fd, offset)
            running = _take_running(upload, offset)
            whole = running.copy() if running is not None else None
            got, digest = _stream_into(fd, offset, stream, length, whole)
            if got != length or digest != body_sha256:
                os.ftruncate(fd, offset)
                if got != length:
                    raise BodyRejected(
                        _("The body ended after %(got)d of %(length)d bytes; none of it was kept.")
                        % {"got": got, "length": length},
                        code="upload-body-incomplete",
                        offset=offset,
                    )
                raise BodyRejected(
                    _("The body's SHA-256 differs from X-Kluis-Content-SHA256; nothing was kept."),
                    offset=offset,
                )
            os.fsync(fd)
        finally:
            os.close(fd)
        new_offset = offset + length
        if new_offset < upload.size:
            upload = actions.advance_upload(upload, old_offset=offset, new_offset=new_offset)
            _keep_running(upload, new_offset, whole)
            return upload
        return complete(upload, whole_sha256=whole.hexdigest() if whole is not None else None)


def _stream_into(fd: int, offset: int, stream, length: int, whole=None) -> tuple[int, str]:
    """Copy up to `length` bytes from the request into the file, hashing them on the way.

    `whole`, when given, is the upload's running SHA-256 and is updated too.
    """
    body = hashlib.sha256()
    got = 0
    pos = offset
    while got < length:
        block = stream.read(min(READ_SIZE, length - got))
        if not block:
            break
        body.update(block)
        if whole is not None:
            whole.update(block)
        view = memoryview(block)
        while view:
            n = os.pwrite(fd, view, pos)
            pos += n
            view = view[n:]
        got += len(block)
    return got, body.hexdigest()


# The running SHA-256 of each upload's staged bytes, kept in this process between its PATCHes
# so the last one need not read the whole file again. After a restart, or when another process
# took earlier pieces, completion simply reads the file.
_running: dict[str, tuple[int, object]] = {}
_running_lock = threading.Lock()
_RUNNING_MAX = 256


def _take_running(upload: Upload, offset: int):
    with _running_lock:
        entry = _running.pop(str(upload.recording_id), None)
    if entry is not None and entry[0] == offset:
        return entry[1]
    return hashlib.sha256() if offset == 0 else None


def _keep_running(upload: Upload, offset: int, digest) -> None:
    if digest is None:
        return
    with _running_lock:
        if len(_running) >= _RUNNING_MAX:
            _running.pop(next(iter(_running)))
        _running[str(upload.recording_id)] = (offset, digest)


def _file_sha256(path: Path, patch: tuple[int, bytes] | None = None) -> str:
    """SHA-256 of the staged file; `patch` puts back original bytes that were overwritten."""
    digest = hashlib.sha256()
    buf = bytearray(4 * READ_SIZE)
    view = memoryview(buf)
    pos = 0
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            if patch is not None:
                start, original = patch
                lo, hi = max(start, pos), min(start + len(original), pos + n)
                if lo < hi:
                    view[lo - pos : hi - pos] = original[lo - start : hi - start]
            digest.update(view[:n])
            pos += n
    return digest.hexdigest()


def _key_block_path(upload: Upload) -> Path:
    return staging_dir() / f"{upload.recording_id}.keyblock"


def _remove_wrapped_key(upload: Upload, path: Path) -> None:
    """Overwrite the organisation-wrapped key in the staged file, keeping the original aside.

    The upload's SHA-256 is over the bytes the camera sent; if storing fails after this step,
    the retry must still be able to check that hash, so the original key block is saved (and
    fsynced) first, until the upload is stored.
    """
    with open(path, "r+b") as fh:
        offset, length = sealed.key_block_span(fh)
        fh.seek(offset)
        original = fh.read(length)
        if original == sealed.removed_key_block():
            return
        side = _key_block_path(upload)
        tmp = side.with_suffix(".tmp")
        with open(tmp, "wb") as out:
            out.write(offset.to_bytes(8, "big") + original)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, side)
        fsync_dir(side.parent)
        sealed.remove_wrapped_key(fh)
        os.fsync(fh.fileno())


def _original_key_block(upload: Upload) -> tuple[int, bytes] | None:
    try:
        raw = _key_block_path(upload).read_bytes()
    except FileNotFoundError:
        return None
    return int.from_bytes(raw[:8], "big"), raw[8:]


_REJECT_CODES = (
    (sealed.NotSealedError, "recording-not-sealed"),
    (sealed.WrongKeyError, "recording-foreign"),
    (sealed.TruncatedError, "recording-truncated"),
    (sealed.TamperedError, "recording-tampered"),
    (sealed.SealedFormatError, "recording-invalid"),
)


def _reject(upload: Upload, code: str, reason: str):
    stored = actions.reject_upload(upload, code=code, reason=reason)
    _discard_files(upload)
    if stored is None:
        # Never the key of a stored recording: a refused replacement leaves it as it was.
        get_keystore().destroy(data_key_name(upload.recording_id))
    raise UploadRejected(
        _("The recording was rejected and nothing of it was kept: %(reason)s") % {"reason": reason},
        code=code,
    )


def _discard_files(upload: Upload, *, lock: bool = False) -> None:
    # The lock file stays after a rejection: a request still waiting on it must not race a new
    # upload of the same id that would lock a fresh file.
    directory = staging_dir()
    names = [".part", ".keyblock"] + ([".lock"] if lock else [])
    for suffix in names:
        (directory / f"{upload.recording_id}{suffix}").unlink(missing_ok=True)
    fsync_dir(directory)


def tidy(upload: Upload) -> None:
    """Remove a completed upload's staged file left by a crash right after its commit."""
    if upload.state == Upload.State.COMPLETE and staged_path(upload).exists():
        _discard_files(upload, lock=True)


def may_replace(recording: Recording, size: int) -> bool:
    """A stored recording that the camera did not finalize gives way to a longer file of it.

    A camera that delivered a copy cut short (a power cut, a dock that read the file while it
    was still being written) keeps the whole file and sends it later; the format marks the short
    copy incomplete. Only a longer file may replace it, and only while it is stored (not once the
    purge took it), and ingest checks that the new file carries the same signed header.
    """
    return (
        not recording.complete
        and recording.state == Recording.State.STORED
        and size > recording.size
    )


def implausible_clock(camera, started_at: dt.datetime, at: dt.datetime, upload=None) -> str:
    """Why the start time a camera signed cannot be right, or "" when it is plausible.

    Implausible: more than a day before the camera was enrolled (it cannot seal anything before
    it learns the organisation's key; the day allows for a clock set by hand), more than
    CAMERA_FUTURE_TOLERANCE_SECONDS after the ingest time, or more than CAMERA_DOCK_GAP_DAYS
    before the camera's previous dock
    (its previous upload): a camera docks at the end of every shift, so a recording that old
    points at a clock that reset (to 2001, say) rather than at old footage.
    """
    tolerance = dt.timedelta(seconds=getattr(settings, "CAMERA_FUTURE_TOLERANCE_SECONDS", 300))
    gap = dt.timedelta(days=getattr(settings, "CAMERA_DOCK_GAP_DAYS", 30))
    if camera.enrolled_at is not None and started_at < camera.enrolled_at - dt.timedelta(days=1):
        return "before enrolment"
    if started_at > at + tolerance:
        return "in the future"
    previous = Upload.objects.filter(camera=camera)
    if upload is not None:
        previous = previous.exclude(pk=upload.pk).filter(created_at__lt=upload.created_at)
    last_dock = previous.order_by("-created_at").values_list("created_at", flat=True).first()
    if last_dock is not None and started_at < last_dock - gap:
        return "long before the previous dock"
    return ""


def term_end(
    started_at: dt.datetime, retention_days: int, stored_at=None, *, clock_implausible=False
) -> dt.datetime:
    """The moment a recording's retention period ends: its start plus the policy's days (RET-1).

    Counted in whole 24-hour days, as ingest computes `Recording.retention_until` (a camera clock
    that runs ahead counts from the moment of storing instead, never from the future). When the
    camera's clock is implausible (reset to 2001, say) the start it signed proves nothing, so
    the term counts from the moment of storing: the true start is before it, so the recording is
    never due earlier than a correct clock would have made it.
    """
    if clock_implausible and stored_at is not None:
        return stored_at + dt.timedelta(days=retention_days)
    start = min(started_at, stored_at) if stored_at is not None else started_at
    return start + dt.timedelta(days=retention_days)


def complete(upload: Upload, *, whole_sha256: str | None = None) -> Upload:
    """Verify, re-key and store a fully received upload (caller holds the upload lock).

    `whole_sha256` is the file's hash when this process saw every byte arrive; otherwise the
    file is hashed here, beside the verification.
    """
    existing = Recording.objects.filter(pk=upload.recording_id).first()
    replacing = None
    if existing is not None:
        if existing.sha256 == upload.sha256 or not may_replace(existing, upload.size):
            upload.refresh_from_db()
            return upload
        replacing = existing  # a longer file of a recording stored incomplete
    camera = upload.camera
    org = upload.organisation
    path = staged_path(upload)
    if path.stat().st_size != upload.size:
        raise KluisError(_("The staged upload has the wrong size."), code="upload-offset")
    # The whole-file hash (unless known) and the signature check each read the file once; run
    # them side by side (hashlib and the disk both release the GIL).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        patch = _original_key_block(upload)
        whole = pool.submit(_file_sha256, path, patch) if whole_sha256 is None else None
        try:
            check_camera_public_key(bytes(camera.public_key))
        except InvalidCameraKey as exc:
            if whole is not None:
                whole.cancel()
            _reject(upload, "recording-forged", _("the camera's key is unusable: %s") % exc)
        try:
            with open(path, "rb") as fh:
                result = sealed.verify(fh, bytes(camera.public_key))
        except sealed.SealedFormatError as exc:
            if whole is not None:
                whole.cancel()
            code = next(c for kind, c in _REJECT_CODES if isinstance(exc, kind))
            _reject(upload, code, str(exc))
        sha = whole.result() if whole is not None else whole_sha256
    if sha != upload.sha256:
        _reject(
            upload,
            "upload-hash-mismatch",
            _("the SHA-256 of the received file differs from the one announced"),
        )
    manifest = result.manifest
    org_key = OrganisationKey.objects.filter(organisation=org).first()
    if (
        manifest.camera_id != str(camera.pk)
        or manifest.organisation_id != str(org.pk)
        or org_key is None
        or manifest.organisation_public_key != bytes(org_key.public_key)
    ):
        _reject(
            upload,
            "recording-foreign",
            _("it names another camera or organisation, or is sealed to another key"),
        )
    if manifest.recording_id != str(upload.recording_id):
        _reject(upload, "recording-id-mismatch", _("its recording id differs from the upload's"))
    if replacing is not None and (
        result.header_sha256.hex() != replacing.header_sha256
        or result.chunk_count < replacing.chunk_count
    ):
        _reject(
            upload,
            "recording-not-a-continuation",
            _("it is not a longer copy of the recording stored under this id"),
        )

    store = get_keystore()
    key_name = data_key_name(upload.recording_id)
    try:
        store.get(key_name)
    except KeyMissing:
        try:
            with open(path, "rb") as fh:
                data_key = sealed.unwrap_data_key(fh, organisation_private_key(org))
        except sealed.SealedFormatError as exc:
            _reject(upload, "recording-foreign", str(exc))
        store.put(key_name, data_key)
        del data_key
    _remove_wrapped_key(upload, path)

    policy = org.policy
    ingest_time = now()
    clock_note = implausible_clock(camera, manifest.started_at, ingest_time, upload)
    # RET-1 counts from the recording date; a camera clock running ahead cannot stretch it, and
    # an implausible one counts from the ingest time, so a reset clock cannot shorten it.
    retention_until = term_end(
        manifest.started_at,
        policy.retention_days,
        ingest_time,
        clock_implausible=bool(clock_note),
    )
    location = getattr(org, "storage_location", None)
    storage_url = location.url if location is not None else settings.STORAGE_URL
    object_key = f"{org.pk}/{manifest.started_at:%Y/%m}/{upload.recording_id}.kluis"
    if replacing is not None:
        # A new object beside the truncated one: a locked object cannot be overwritten, and the
        # old one is sealed with the same data key, so the purge's key destruction covers both.
        object_key = object_key.removesuffix(".kluis") + f".{sha[:12]}.kluis"
    try:
        get_storage(storage_url).put_file(object_key, path, retain_until=retention_until)
    except (StorageError, OSError) as exc:
        log.exception("storing %s failed", upload.recording_id)
        raise KluisError(
            _("The footage store is not available; the upload is kept, retry later (%(err)s).")
            % {"err": exc},
            code="storage-unavailable",
            status=503,
        )
    meta = manifest.metadata or {}
    assignment = assignment_at(camera, manifest.started_at)
    team = camera.team
    warning = meta.get("warning")
    store = actions.store_recording if replacing is None else actions.replace_recording
    store(
        upload,
        municipality_id=team.municipality_id,
        team=team,
        officer=assignment.officer if assignment else None,
        assignment=assignment,
        started_at=manifest.started_at,
        stopped_at=manifest.stopped_at,
        pre_record_seconds=float(manifest.pre_record_seconds),
        complete=result.complete,
        incomplete_reason=(result.incomplete_reason or "")[:300],
        includes_colleagues=bool(meta.get("colleagues_present") or meta.get("colleagues")),
        warning=warning if warning in ("before", "after", "none") else "",
        emergency=bool(meta.get("emergency")),
        metadata=meta,
        header_sha256=result.header_sha256.hex(),
        ciphertext_sha256=result.ciphertext_sha256.hex(),
        plaintext_size=result.plaintext_size,
        chunk_count=result.chunk_count,
        retention_until=retention_until,
        storage_url=storage_url,
        storage_key=object_key,
        data_key_name=key_name,
        clock_implausible=bool(clock_note),
        clock_note=clock_note,
    )
    _discard_files(upload, lock=True)
    upload.refresh_from_db()
    return upload
