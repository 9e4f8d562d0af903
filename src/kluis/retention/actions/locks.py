"""The row lock that holds, joint decisions and the purge's point of no return share."""

from __future__ import annotations

from kluis.recordings.models import Recording


def locked_recording(recording):
    """Lock the recording row: holds and the purge's point of no return serialise on it."""
    return Recording.objects.select_for_update().get(pk=recording.pk)
