"""The camera's storage directory: its signing key, its state, and sealed recordings. Nothing else.

Layout (``DIR`` is ``--storage``, by default ``$KLUIS_CAMERA_DIR`` or ``~/.kluis-camera``)::

    DIR/camera.key               Ed25519 private key, PEM, mode 0600 (made at enrolment)
    DIR/state.json               identity, policy, assignment, receipts (no footage, no secrets)
    DIR/recordings/<id>.sealed   sealed recordings waiting for the dock (CAM-1)

A recording being written holds an exclusive ``flock`` on its file. The kernel drops the lock
when the writing process dies, even by SIGKILL, so the dock client can tell a recording in
progress (skip it) from a finished or interrupted one (offload it) without any extra file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kluis.sealed.durable import fsync_dir

KEY_FILE = "camera.key"
STATE_FILE = "state.json"
RECORDINGS_DIR = "recordings"
SEALED_SUFFIX = ".sealed"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class StorageError(RuntimeError):
    """The storage directory is missing, unreadable or not in the expected shape."""


def default_storage_dir() -> Path:
    """Where the camera keeps its files unless told otherwise."""
    return Path(os.environ.get("KLUIS_CAMERA_DIR") or Path.home() / ".kluis-camera")


@dataclass(frozen=True)
class StoredRecording:
    """A sealed recording file waiting on the camera for offload."""

    recording_id: str
    path: Path
    size: int


class CameraStorage:
    """Access to the storage directory; the only code that creates or removes files there."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.key_path = self.root / KEY_FILE
        self.state_path = self.root / STATE_FILE
        self.recordings_dir = self.root / RECORDINGS_DIR

    def ensure(self) -> None:
        """Create the directories, readable by the camera's user only."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.recordings_dir.mkdir(mode=0o700, exist_ok=True)

    # --- key -------------------------------------------------------------------------------

    def has_key(self) -> bool:
        """Whether the camera has made its signing key (it has, once enrolment started)."""
        return self.key_path.exists()

    def create_key(self) -> Ed25519PrivateKey:
        """Make the camera's own Ed25519 key and store it with mode 0600 (ORG-5, CAM-3).

        The key never leaves the camera: the server gets only the public half at enrolment.
        O_EXCL refuses to overwrite an existing key, since that would orphan the enrolment.
        """
        self.ensure()
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        fsync_dir(self.root)
        return key

    def load_key(self) -> Ed25519PrivateKey:
        """Read the camera's signing key; refuse a key file others can read."""
        try:
            mode = self.key_path.stat().st_mode & 0o777
            data = self.key_path.read_bytes()
        except FileNotFoundError:
            raise StorageError(
                f"no camera key in {self.root}: enrol first "
                "(kluis camera enrol --server URL --code CODE)"
            ) from None
        if mode & 0o077:
            raise StorageError(
                f"{self.key_path} is readable by others (mode {mode:o}): chmod 600 it"
            )
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise StorageError(f"{self.key_path} is not an Ed25519 key")
        return key

    def remove_key(self) -> None:
        """Forget a key whose enrolment failed, so a retry makes a fresh one."""
        with contextlib.suppress(FileNotFoundError):
            self.key_path.unlink()

    # --- state -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self):
        # The capture process and the dock command both update the state; a lock on the
        # directory itself serialises them without adding a lock file.
        self.ensure()
        fd = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def read_state(self) -> dict:
        """The camera's state (empty before enrolment)."""
        try:
            return json.loads(self.state_path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError as exc:
            raise StorageError(
                f"{self.state_path} is damaged ({exc}); re-enrol the camera"
            ) from exc

    def update_state(self, change) -> dict:
        """Apply ``change(state) -> None`` and write the state atomically (temp file + rename)."""
        with self._locked():
            state = self.read_state()
            change(state)
            tmp = self.state_path.with_name(STATE_FILE + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(state, f, indent=2, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_path)
            fsync_dir(self.root)
            return state

    # --- recordings ------------------------------------------------------------------------

    def recording_path(self, recording_id: str) -> Path:
        """Where a recording's sealed file lives."""
        if not _UUID.match(recording_id):
            raise StorageError(f"not a recording id: {recording_id!r}")
        return self.recordings_dir / f"{recording_id}{SEALED_SUFFIX}"

    def create_recording_file(self, recording_id: str):
        """Open a new sealed file for writing, locked for as long as the recording runs.

        Mode 0600 and O_EXCL: a recording id is used once, and no other user reads the file.
        """
        self.ensure()
        path = self.recording_path(recording_id)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        fsync_dir(self.recordings_dir)
        return os.fdopen(fd, "wb")

    def is_being_written(self, path: Path) -> bool:
        """True while a live camera process still holds the recording's lock."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    @contextlib.contextmanager
    def claim(self, path: Path):
        """Hold a recording for offload; yields False if a recorder or another dock holds it.

        The lock is the same one the recorder holds while writing, so a file is never offloaded
        while it grows, and two dock runs never offload (and erase) the same file at once.
        """
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            yield False
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def recordings(self) -> list[StoredRecording]:
        """Sealed recordings on the camera, oldest first (offload order)."""
        if not self.recordings_dir.exists():
            return []
        found = []
        for path in self.recordings_dir.iterdir():
            name = path.name
            if not name.endswith(SEALED_SUFFIX) or not _UUID.match(name[: -len(SEALED_SUFFIX)]):
                continue
            st = path.stat()
            found.append(
                (st.st_mtime, StoredRecording(name[: -len(SEALED_SUFFIX)], path, st.st_size))
            )
        return [rec for _, rec in sorted(found, key=lambda item: item[0])]

    def erase_after_receipt(self, recording_id: str, receipt: dict) -> None:
        """Remove a recording the server has confirmed, and log the receipt (CAM-2).

        Only the dock client calls this, and only with a receipt it has verified; the receipt
        goes into the state first, so a crash in between leaves proof, not a lost recording.
        """
        path = self.recording_path(recording_id)
        stamp = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")

        def log(state):
            state.setdefault("receipts", []).append({**receipt, "erased_at": stamp})

        self.update_state(log)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fsync_dir(self.recordings_dir)
