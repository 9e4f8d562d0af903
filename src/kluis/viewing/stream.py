"""The decrypting HTTP Range endpoint behind the player (STO-3, ACC-2, ACC-4).

Footage is decrypted chunk by chunk in memory (kluis.recordings.playback) and sent as 206
Partial Content. Each response carries at most VIEWING_MAX_RANGE_BYTES.

A slow client (or one that pipelines many Range requests) must not make the server decrypt
ahead of it: whatever the server holds for a connection it holds in memory (STO-3), and what it
holds is what a breach can no longer stop (ACC-4). So the body is handed to the server in small
pieces, and the next piece only when the connection has sent what it had (kluis.viewing.outlet
waits on waitress's output buffer). While it waits, and before every chunk, the session is
asked again at least every SESSION_CHECK_SECONDS; once it ended or a breach was reported the
connection is cut, its unsent output dropped: the picture stops within one second.
"""

from __future__ import annotations

import contextlib
import re
import time

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse

from kluis.core.clock import now

from .models import ViewingSession
from .outlet import outlet_of

#: The most the stream hands the server at once, and the most it lets wait unsent per connection.
PIECE_BYTES = 256 * 1024
#: How often an open stream asks whether its session is still open, at the latest.
SESSION_CHECK_SECONDS = 0.25

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int, cap: int) -> tuple[int, int]:
    """The inclusive byte range [start, end] to send for a Range header, at most `cap` long.

    No header is treated as `bytes=0-`; of a multi-range request the first range is served.
    """
    if size <= 0:
        raise RangeNotSatisfiable
    spec = (header or "bytes=0-").strip().split(",")[0].strip()
    match = _RANGE.match(spec)
    if not match or (match[1] == "" and match[2] == ""):
        raise RangeNotSatisfiable
    if match[1] == "":
        length = int(match[2])
        if length == 0:
            raise RangeNotSatisfiable
        start, end = max(0, size - length), size - 1
    else:
        start = int(match[1])
        end = min(int(match[2]), size - 1) if match[2] else size - 1
    if start >= size or start > end:
        raise RangeNotSatisfiable
    return start, min(end, start + cap - 1)


def still_watching(session_id, user) -> bool:
    """The session is open, in time, and `user` is a confirmed participant: asked per chunk."""
    return ViewingSession.objects.filter(
        pk=session_id,
        state=ViewingSession.State.OPEN,
        expires_at__gt=now(),
        participants__user=user,
        participants__confirmed_at__isnull=False,
    ).exists()


def _protect(response):
    # ACC-4: played inline, never kept by the browser or a proxy, never offered as a download.
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "no-store, private"
    response["Pragma"] = "no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    response["Accept-Ranges"] = "bytes"
    return response


def range_response(request, session, *, opener) -> HttpResponse:
    """206 with the requested piece of decrypted footage, or 416 when the range is off.

    `opener(recording)` is a context manager yielding a reader with `.size` and `.iter_range`.
    """
    stack = contextlib.ExitStack()
    reader = stack.enter_context(opener(session.recording))
    size = reader.size
    try:
        start, end = parse_range(
            request.headers.get("Range"), size, settings.VIEWING_MAX_RANGE_BYTES
        )
    except RangeNotSatisfiable:
        stack.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _protect(response)
    body = _Pieces(stack, reader, start, end + 1, session.pk, request.user, outlet_of(request.META))
    response = StreamingHttpResponse(body, status=206, content_type="video/mp4")
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    return _protect(response)


class _Pieces:
    """The response body: decrypted pieces while the session stays open, at the client's pace;
    closing it (Django does, even when the client went away before the first byte) closes the
    stored file."""

    def __init__(self, stack, reader, start, stop, session_id, user, outlet):
        self._stack = stack
        self._reader = reader
        self._range = (start, stop)
        self._session_id = session_id
        self._user = user
        self._outlet = outlet
        self._checked = 0.0

    def _still_on(self, *, force=False) -> bool:
        moment = time.monotonic()
        if force or moment - self._checked >= SESSION_CHECK_SECONDS:
            if not still_watching(self._session_id, self._user):
                return False
            self._checked = moment
        return True

    def _wait_for_the_client(self, below=PIECE_BYTES) -> bool:
        """Until less than `below` waits unsent on the connection; False when the session
        ended (or the client left) meanwhile."""
        while not self._outlet.wait_until_below(below, SESSION_CHECK_SECONDS):
            if self._outlet.gone() or not self._still_on():
                return False
        return self._still_on()

    def __iter__(self):
        for chunk in self._reader.iter_range(*self._range):
            if not self._still_on(force=True):
                self._outlet.cut()
                return  # the session ended mid-response: send nothing more
            for at in range(0, len(chunk), PIECE_BYTES):
                if not self._wait_for_the_client():
                    self._outlet.cut()
                    return
                yield chunk[at : at + PIECE_BYTES]
        # The last pieces still wait unsent: a breach now must stop them too.
        if not self._wait_for_the_client(below=1):
            self._outlet.cut()

    def close(self):
        self._stack.close()
