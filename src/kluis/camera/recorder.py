"""One recording: fragments in, a sealed file out (CAM-1, CAM-3).

The recording's bytes (init segment, then fragments) go straight into a ``SealedWriter``,
which encrypts them to the organisation's public key and signs them with the camera's key. The
camera keeps no key that could decrypt them again. After every chunk the writer completes, the
file is flushed and fsynced, so a power cut or SIGKILL loses at most the chunk being filled.
"""

from __future__ import annotations

import datetime as dt
import uuid

from kluis.sealed import SealedWriter

from .mp4 import Fragment, Track, rebase_fragment

# Footage chunk size: 256 KiB is about one second of 720p at 2 Mbit/s, so a crash loses about a
# second, while the per-chunk cost (tag, signature, fsync) stays negligible.
CAMERA_CHUNK_SIZE = 256 * 1024


def iso(moment: dt.datetime) -> str:
    """UTC time as ISO 8601 with Z, the form used in all recording metadata."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class Recorder:
    """Writes one recording's fragments into a sealed file.

    ``fragments`` are rebased so the recording starts at time zero (see ``mp4``); ``base`` is the
    first fragment's place on the encoder's timeline.
    """

    def __init__(
        self,
        storage,
        identity: dict,
        camera_key,
        *,
        init_segment: bytes,
        tracks: dict[int, Track],
        first: Fragment,
        started_at: dt.datetime,
        pre_record_seconds: float,
        metadata: dict,
        chunk_size: int = CAMERA_CHUNK_SIZE,
        recording_id: str | None = None,
    ):
        self.recording_id = recording_id or str(uuid.uuid4())
        self.path = storage.recording_path(self.recording_id)
        self._file = storage.create_recording_file(self.recording_id)
        self._tracks = tracks
        self._base = first.timeline
        self._seq = 0
        self.video_frames = 0
        self.metadata = metadata
        self.started_at = started_at
        self.writer = SealedWriter(
            self._file,
            organisation_public_key=identity["organisation_public_key"],
            camera_private_key=camera_key,
            recording_id=self.recording_id,
            organisation_id=identity["organisation_id"],
            camera_id=identity["camera_id"],
            started_at=started_at,
            pre_record_seconds=pre_record_seconds,
            chunk_size=chunk_size,
            metadata=metadata,
            # Each chunk is forced to storage before write() returns: a crash loses at most
            # the chunk still being filled.
            fsync=True,
        )
        self.writer.write(init_segment)

    def add(self, fragment: Fragment, video_frames: int) -> None:
        """Append one fragment, rebased to the recording's timeline."""
        self._seq += 1
        self.writer.write(rebase_fragment(fragment, self._base, self._tracks, self._seq))
        self.video_frames += video_frames

    def finish(self, stopped_at: dt.datetime, metadata: dict):
        """Seal the last chunk and the signed manifest, fsync, close, and release the lock."""
        try:
            return self.writer.finalize(stopped_at, metadata=metadata)
        finally:
            self._file.close()

    def abandon(self) -> None:
        """Close without a manifest (camera failing): what was written stays, as after a crash."""
        self.writer.abandon()
        self._file.close()
