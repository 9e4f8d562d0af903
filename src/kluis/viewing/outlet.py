"""The connection a streaming response leaves through: how much waits unsent, and a hard stop.

Waitress runs the app in a worker thread and queues what the app yields in the connection's
output buffer; its main loop sends from there as the client takes it. Waitress itself only
makes the app wait once that buffer passes `outbuf_high_watermark`, and it waits without a
timeout, so a stream blocked there could not ask whether its session is still open. Here the
stream waits itself, on the same condition waitress notifies when it sent something, with a
timeout, and can drop what is still unsent and reset the connection when a viewing stops
(ACC-4). The channel is found through `waitress.client_disconnected` in the WSGI environ (a
bound method of the channel); this reads waitress 3's channel attributes, which the slow-client
tests against `kluis serve` exercise (tests/viewing/test_slow_client.py).

Under another server (Django's test client, the live test server) there is no such buffer: the
server writes each piece to the socket before asking for the next, and `cut` has nothing to drop.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time

#: How often a waiting stream looks at the connection's unsent output again.
POLL_SECONDS = 0.005


class _Direct:
    """A server that sends each piece before it asks for the next: nothing waits unsent."""

    def wait_until_below(self, limit: int, timeout: float) -> bool:
        return True

    def gone(self) -> bool:
        return False

    def cut(self) -> None:
        pass


class _WaitressChannel:
    def __init__(self, channel):
        self._channel = channel

    def wait_until_below(self, limit: int, timeout: float) -> bool:
        """True once fewer than `limit` bytes wait unsent (or the client left); False when
        `timeout` seconds passed first."""
        ch = self._channel
        deadline = time.monotonic() + timeout
        with ch.outbuf_lock:
            # Waitress notifies only when its main loop got the lock for a send, and that try
            # does not wait: so look again every few milliseconds instead of trusting it.
            while ch.connected and ch.total_outbufs_len >= limit:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                ch.server.pull_trigger()  # let the main loop send what waits
                ch.outbuf_lock.wait(min(left, POLL_SECONDS))
            return True

    def gone(self) -> bool:
        return not self._channel.connected

    def cut(self) -> None:
        """Drop the unsent output and reset the connection, so neither waitress nor the
        kernel's send buffer delivers another byte of this stream.

        The main loop closes the channel (a thunk on its trigger): it would only get to a
        `will_close` once the socket is writable again, and a slow client keeps it full. With
        SO_LINGER at zero the close is a reset that discards what the kernel still holds.
        """
        ch = self._channel
        with contextlib.suppress(OSError, AttributeError):  # already closed
            ch.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        ch.will_close = True
        ch.server.trigger.pull_trigger(ch.handle_close)


def outlet_of(environ) -> _Direct | _WaitressChannel:
    """The outlet of the request with this WSGI environ."""
    probe = environ.get("waitress.client_disconnected")
    channel = getattr(probe, "__self__", None)
    if channel is not None and hasattr(channel, "outbuf_lock") and hasattr(channel, "outbufs"):
        return _WaitressChannel(channel)
    return _Direct()
