"""Decrypting range reader for playback (STO-3): plaintext exists only in memory.

The staff web app (viewing sessions) calls `open_recording` after its own permission checks;
this module checks nothing about who asks, only that the footage still exists.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.utils.translation import gettext as _

from kluis import sealed
from kluis.core.problems import KluisError
from kluis.devices.keystore import KeyMissing, get_keystore

from .models import Recording
from .storage import get_storage


class FootageGone(KluisError):
    status = 410
    code = "footage-deleted"
    title = "Footage deleted"


@contextlib.contextmanager
def open_recording(recording: Recording) -> Iterator[sealed.SealedReader]:
    """A reader over the stored recording: `.read_range(a, b)`, `.iter_range(a, b)`, `.size`.

    Each chunk is authenticated and decrypted on read; nothing decrypted touches the disk.
    """
    if recording.state != Recording.State.STORED:
        raise FootageGone(_("This recording has been deleted."))
    try:
        data_key = get_keystore().get(recording.data_key_name)
    except KeyMissing:
        raise FootageGone(_("The key of this recording has been destroyed: it cannot be read."))
    fh = get_storage(recording.storage_url).open(recording.storage_key)
    try:
        yield sealed.open_sealed(
            fh, camera_public_key=bytes(recording.camera.public_key), data_key=data_key
        )
    finally:
        fh.close()


def read_range(recording: Recording, start: int, end: int) -> bytes:
    """Plaintext bytes [start, end) of the recording's footage."""
    with open_recording(recording) as reader:
        return reader.read_range(start, end)


def iter_range(recording: Recording, start: int, end: int) -> Iterator[bytes]:
    """The same as pieces, for streaming responses that should not hold the range in memory."""
    with open_recording(recording) as reader:
        yield from reader.iter_range(start, end)
