"""The camera's clock: the one place where camera code reads or waits for time.

The camera needs two kinds of time: a monotonic timeline (seconds) that frames, the pre-record
buffer and button presses are placed on, and the wall-clock time that goes into a recording's
metadata. Sources pace themselves with ``sleep_until``. A ``SimulatedClock`` jumps instead of
sleeping, so tests and benchmarks run a minute of standby in a second of CPU, with the same
code path as the real device.
"""

from __future__ import annotations

import datetime as dt
import threading
import time


class SystemClock:
    """Real time: what runs on the device."""

    def __init__(self) -> None:
        self._mono0 = time.monotonic()
        self._wall0 = dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        """Seconds since the camera started; never jumps when NTP adjusts the wall clock."""
        return time.monotonic() - self._mono0

    def wall(self, at: float | None = None) -> dt.datetime:
        """UTC wall time now, or of camera time ``at`` (to date a buffered fragment)."""
        if at is None:
            return dt.datetime.now(dt.UTC)
        return self._wall0 + dt.timedelta(seconds=at)

    def sleep_until(self, t: float) -> None:
        """Wait for camera time ``t``: paces file and synthetic sources at real time."""
        delay = t - self.monotonic()
        if delay > 0:
            time.sleep(delay)


class SimulatedClock:
    """Time that moves only when the camera waits: as fast as the CPU allows.

    ``sleep_until`` jumps to the requested time at once. Button presses from other threads read
    ``monotonic()`` like on the device, so they land between frames at the simulated time.
    """

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._t = 0.0
        self._start = start or dt.datetime.now(dt.UTC).replace(microsecond=0)
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        """The simulated camera time in seconds."""
        with self._lock:
            return self._t

    def wall(self, at: float | None = None) -> dt.datetime:
        """The start moment plus simulated seconds: metadata stays consistent with the footage."""
        return self._start + dt.timedelta(seconds=self.monotonic() if at is None else at)

    def sleep_until(self, t: float) -> None:
        """Jump to ``t`` (never backwards)."""
        with self._lock:
            self._t = max(self._t, t)

    def advance(self, seconds: float) -> None:
        """Move time forward (tests)."""
        with self._lock:
            self._t += seconds
