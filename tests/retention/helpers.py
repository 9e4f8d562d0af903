"""Checks that say what "deleted" means (RET-4)."""

from __future__ import annotations

import io

import pytest

from kluis import sealed
from kluis.devices.keys import organisation_private_key
from kluis.devices.keystore import KeyMissing, get_keystore
from kluis.recordings.models import Recording
from kluis.recordings.playback import FootageGone, read_range
from kluis.recordings.storage import get_storage


def readable(recording) -> bool:
    """Can the footage be read through the normal path (playback)?"""
    recording = Recording.objects.get(pk=recording.pk)
    try:
        read_range(recording, 0, 16)
    except FootageGone:
        return False
    return True


def object_bytes(recording) -> bytes:
    with get_storage(recording.storage_url).open(recording.storage_key) as fh:
        return fh.read()


def assert_gone(recording, *, backup: bytes | None = None) -> None:
    """Key destroyed, object gone, playback refuses, and a backup copy of the object taken
    before the purge opens neither with the key store nor with the organisation's key."""
    recording = Recording.objects.get(pk=recording.pk)
    assert recording.state == Recording.State.SHREDDED
    assert not get_keystore().exists(recording.data_key_name)
    with pytest.raises(KeyMissing):
        get_keystore().get(recording.data_key_name)
    assert not get_storage(recording.storage_url).exists(recording.storage_key)
    assert not readable(recording)
    if backup is not None:
        with pytest.raises(sealed.KeyRemovedError):
            sealed.open_sealed(
                io.BytesIO(backup),
                organisation_private_key(recording.organisation),
                bytes(recording.camera.public_key),
            )
