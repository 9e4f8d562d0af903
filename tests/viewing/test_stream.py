"""The decrypting Range endpoint: 206 with exact Content-Range, only for an open session's
confirmed participants, decrypted in memory from the stored sealed file (STO-3)."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.urls import reverse

from kluis.custody.models import AuditEntry
from kluis.viewing import actions
from kluis.viewing.models import ViewingSession
from kluis.viewing.stream import RangeNotSatisfiable, parse_range
from tests.login import log_in
from tests.world import build_world


@pytest.fixture
def footage():
    return os.urandom(300_000)


@pytest.fixture
def open_session(world):
    session = actions.start_session(
        world.officer, world.recording, purpose="complaint", managers=[world.manager]
    )
    actions.confirm(world.manager, session)
    session.refresh_from_db()
    assert session.is_open
    return session


def stream_url(session):
    return reverse("viewing:stream", args=[session.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_parse_range():
    assert parse_range("bytes=0-", 1000, 100) == (0, 99)
    assert parse_range("bytes=10-19", 1000, 100) == (10, 19)
    assert parse_range("bytes=-10", 1000, 100) == (990, 999)
    assert parse_range("bytes=990-5000", 1000, 100) == (990, 999)
    assert parse_range(None, 1000, 2000) == (0, 999)
    for bad in ("bytes=1000-", "bytes=5-4", "bytes=-", "items=0-1", "bytes=-0"):
        with pytest.raises(RangeNotSatisfiable):
            parse_range(bad, 1000, 100)


@pytest.mark.rule("STO-3")
def test_ranges_decrypt_exactly_the_footage(client, settings, stores, db):
    footage = os.urandom(300_000)
    w = build_world("h2o", footage=footage)
    session = actions.start_session(
        w.officer, w.recording, purpose="complaint", managers=[w.manager]
    )
    actions.confirm(w.manager, session)
    settings.VIEWING_MAX_RANGE_BYTES = 100_000
    log_in(client, w.manager)
    got = bytearray()
    start = 0
    while start < len(footage):
        r = client.get(stream_url(session), headers={"Range": f"bytes={start}-"})
        assert r.status_code == 206
        end = min(start + 100_000, len(footage)) - 1
        assert r["Content-Range"] == f"bytes {start}-{end}/{len(footage)}"
        assert r["Content-Length"] == str(end - start + 1)
        assert r["Content-Type"] == "video/mp4"
        assert r["Accept-Ranges"] == "bytes"
        assert r["Content-Disposition"] == "inline"
        assert "no-store" in r["Cache-Control"]
        got += body(r)
        start = end + 1
    assert hashlib.sha256(got).digest() == hashlib.sha256(footage).digest()
    r = client.get(stream_url(session), headers={"Range": "bytes=123456-123460"})
    assert body(r) == footage[123456:123461]
    r = client.get(stream_url(session), headers={"Range": "bytes=400000-"})
    assert r.status_code == 416
    assert r["Content-Range"] == f"bytes */{len(footage)}"


@pytest.mark.rule("STO-3")
def test_nothing_decrypted_reaches_the_disk(client, world, open_session, stores):
    """The stored object is the sealed file, and no file anywhere under the data directories
    holds plaintext after streaming (checked on a marker that only the plaintext contains)."""
    from kluis.recordings.playback import read_range

    log_in(client, world.officer)
    head = read_range(world.recording, 0, 64)
    r = client.get(stream_url(open_session), headers={"Range": "bytes=0-"})
    assert body(r)[:64] == head
    for path in stores.rglob("*"):
        if path.is_file():
            assert head not in path.read_bytes(), path


@pytest.mark.rule("STO-3")
def test_seeking_reads_only_the_chunks_it_needs(client, settings, stores, db, monkeypatch):
    """A seek far into the recording reads its header, manifest and the chunks of the range:
    not the footage before it (measured in bytes read from storage)."""
    from kluis.recordings import storage as storage_module

    footage = os.urandom(2 * 1024 * 1024)
    w = build_world("h2o", footage=footage, chunk_size=64 * 1024)
    session = actions.start_session(
        w.officer, w.recording, purpose="complaint", managers=[w.manager]
    )
    actions.confirm(w.manager, session)
    log_in(client, w.officer)

    counted = {"bytes": 0, "lowest": None}
    real_open = storage_module.LocalStorage.open

    class Counting:
        def __init__(self, fh):
            self._fh = fh

        def read(self, n=-1):
            pos = self._fh.tell()
            data = self._fh.read(n)
            counted["bytes"] += len(data)
            if len(data) > 1024:  # chunk reads, not header fields
                low = counted["lowest"]
                counted["lowest"] = pos if low is None else min(low, pos)
            return data

        def readinto(self, b):
            pos = self._fh.tell()
            n = self._fh.readinto(b)
            counted["bytes"] += n
            if n > 1024:
                low = counted["lowest"]
                counted["lowest"] = pos if low is None else min(low, pos)
            return n

        def __getattr__(self, name):
            return getattr(self._fh, name)

    monkeypatch.setattr(
        storage_module.LocalStorage, "open", lambda self, key: Counting(real_open(self, key))
    )
    start = 1_900_000
    r = client.get(stream_url(session), headers={"Range": f"bytes={start}-{start + 9999}"})
    assert r.status_code == 206
    assert body(r) == footage[start : start + 10_000]
    assert counted["bytes"] < 4 * 64 * 1024, counted  # header, manifest, one or two chunks
    assert counted["lowest"] >= (start // (64 * 1024)) * 64 * 1024, counted


@pytest.mark.rule("ACC-2")
def test_no_stream_before_the_session_opens(client, world):
    session = actions.start_session(
        world.officer, world.recording, purpose="complaint", managers=[world.manager]
    )
    log_in(client, world.officer)
    r = client.get(stream_url(session), headers={"Range": "bytes=0-"})
    assert r.status_code == 403


@pytest.mark.rule("ACC-4")
@pytest.mark.parametrize("how", ["end", "breach"])
def test_stream_refuses_after_end_or_breach(client, world, open_session, how):
    log_in(client, world.officer)
    assert client.get(stream_url(open_session), headers={"Range": "bytes=0-"}).status_code == 206
    if how == "end":
        actions.end_session(world.manager, open_session)
    else:
        actions.report_breach(world.manager, open_session, "A phone was pointed at the screen.")
    r = client.get(stream_url(open_session), headers={"Range": "bytes=0-"})
    assert r.status_code == 403
    assert r["Content-Type"] == "application/problem+json"


@pytest.mark.rule("ACC-4")
def test_a_breach_cuts_a_response_that_is_already_streaming(client, world, open_session, settings):
    """Between chunks the session is asked again: the rest of a running response is not sent."""
    settings.VIEWING_MAX_RANGE_BYTES = 10**9
    log_in(client, world.officer)
    r = client.get(stream_url(open_session), headers={"Range": "bytes=0-"})
    pieces = iter(r.streaming_content)
    first = next(pieces)
    assert first
    actions.report_breach(world.manager, open_session, "Screen recorded.")
    rest = b"".join(pieces)
    assert len(first) + len(rest) < world.recording.plaintext_size


@pytest.mark.rule("ACC-1", "ORG-4")
def test_outsiders_cannot_stream(client, world, open_session):
    refused = {}
    for who in ["colleague", "other_team_manager", "other_team_officer", "invited_staff",
                "privacy_officer", "functional_admin", "supplier", "other_org_officer",
                "other_org_manager"]:  # fmt: skip
        client.logout()
        log_in(client, getattr(world, who))
        r = client.get(stream_url(open_session), headers={"Range": "bytes=0-"})
        refused[who] = r.status_code
    assert set(refused.values()) == {403}, refused


def test_anonymous_cannot_stream(client, world, open_session):
    assert client.get(stream_url(open_session)).status_code == 403


@pytest.mark.rule("ORG-4")
def test_an_admin_named_as_participant_still_cannot_watch(client, world, open_session):
    """Even a row that slipped past the actions does not give an administrator footage."""
    from kluis.viewing.models import Participant

    Participant.objects.create(
        session=open_session,
        user=world.functional_admin,
        capacity="invited",
        confirmed_at=open_session.opened_at,
    )
    log_in(client, world.functional_admin)
    assert client.get(stream_url(open_session)).status_code == 403


@pytest.mark.rule("AUD-1")
def test_every_play_pause_and_seek_is_in_the_audit_trail(client, world, open_session):
    log_in(client, world.manager)
    url = reverse("viewing:events", args=[open_session.pk])
    for event, position in [
        ("play", 0),
        ("pause", 1.5),
        ("seeked", 3.25),
        ("play", 3.25),
        ("ended", 4.0),
    ]:
        r = client.post(
            url, {"event": event, "position": position}, content_type="application/json"
        )
        assert r.status_code == 204
    entries = AuditEntry.objects.filter(
        object_id=str(open_session.pk), action__startswith="viewing.playback."
    ).order_by("sequence")
    assert [(e.action, e.actor_id) for e in entries] == [
        ("viewing.playback.play", world.manager.pk),
        ("viewing.playback.pause", world.manager.pk),
        ("viewing.playback.seeked", world.manager.pk),
        ("viewing.playback.play", world.manager.pk),
        ("viewing.playback.ended", world.manager.pk),
    ]
    assert all(e.recording_id == str(world.recording.pk) for e in entries)
    assert all(e.purpose == "complaint" for e in entries)
    assert '"position":3.25' in entries[2].details_json


@pytest.mark.rule("AUD-1")
def test_the_first_footage_a_participant_receives_is_logged_once(client, world, open_session):
    log_in(client, world.officer)
    for _ in range(3):
        body(client.get(stream_url(open_session), headers={"Range": "bytes=0-99"}))
    assert (
        AuditEntry.objects.filter(
            action="viewing.stream_opened", actor=world.officer, object_id=str(open_session.pk)
        ).count()
        == 1
    )


@pytest.mark.rule("AUD-1")
def test_events_are_refused_outside_an_open_session(client, world, open_session):
    actions.end_session(world.officer, open_session)
    log_in(client, world.officer)
    r = client.post(
        reverse("viewing:events", args=[open_session.pk]),
        {"event": "play", "position": 0},
        content_type="application/json",
    )
    assert r.status_code == 403
    r = client.get(reverse("viewing:status", args=[open_session.pk]))
    assert r.json() == {"state": ViewingSession.State.ENDED, "open": False}


def test_unknown_events_are_refused(client, world, open_session):
    log_in(client, world.officer)
    r = client.post(
        reverse("viewing:events", args=[open_session.pk]),
        {"event": "download", "position": 0},
        content_type="application/json",
    )
    assert r.status_code == 400


@pytest.mark.rule("ACC-4")
def test_the_stream_does_not_open_as_a_page_of_its_own(client, world, open_session):
    """A browser that navigates to the stream would show its bare player with a save button."""
    log_in(client, world.officer)
    r = client.get(stream_url(open_session), headers={"Sec-Fetch-Dest": "document"})
    assert r.status_code == 403
    r = client.get(
        stream_url(open_session), headers={"Sec-Fetch-Dest": "video", "Range": "bytes=0-9"}
    )
    assert r.status_code == 206
