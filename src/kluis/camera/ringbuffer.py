"""The pre-record buffer: the last N seconds of encoded footage, in memory only (REC-1, REC-2).

It holds whole fragments (each starts at a keyframe), so a recording can start with any of them.
Pruning drops whole fragments once a newer one already starts at least ``seconds`` ago, so the
buffer always reaches back at least ``seconds`` (once the camera has been on that long) and at
most one fragment more. Nothing here ever touches a file: when the camera is switched off, the
buffer is gone, and it leaves the camera only as the start of a recording.
"""

from __future__ import annotations

import threading
from collections import deque

from .mp4 import Fragment


class PreRecordBuffer:
    """A time-keyed ring of fragments covering the policy's pre-record seconds."""

    def __init__(self, seconds: float):
        if seconds < 0:
            raise ValueError("pre-record seconds cannot be negative")
        self.seconds = float(seconds)
        self._fragments: deque[Fragment] = deque()
        self._lock = threading.Lock()

    def set_seconds(self, seconds: float, now: float) -> None:
        """Follow a changed policy (the dock tells the camera its organisation's setting)."""
        with self._lock:
            self.seconds = float(seconds)
            self._prune(now)

    def append(self, fragment: Fragment, now: float) -> None:
        """Add the newest fragment and drop what is older than the policy allows."""
        with self._lock:
            self._fragments.append(fragment)
            self._prune(now)

    def _prune(self, now: float) -> None:
        cutoff = now - self.seconds
        # Keep the newest fragment that starts at or before the cutoff: it holds the moment
        # exactly `seconds` ago. Everything before it is older than the policy allows.
        while len(self._fragments) >= 2 and self._fragments[1].start <= cutoff:
            self._fragments.popleft()
        if self.seconds == 0:
            self._fragments.clear()

    def take_from(self, at: float) -> list[Fragment]:
        """The fragments a recording pressed at ``at`` starts with.

        The first is the newest fragment starting at or before ``at - seconds`` (or the oldest
        held, if the camera has not been on that long), so the recording begins the policy's
        pre-record seconds before the press, to within one fragment (one second at most).
        """
        with self._lock:
            cutoff = at - self.seconds
            items = list(self._fragments)
        first = 0
        for i, frag in enumerate(items):
            if frag.start <= cutoff:
                first = i
        return items[first:]

    @property
    def span(self) -> float:
        """Seconds from the oldest buffered fragment's start to the newest's start."""
        with self._lock:
            if not self._fragments:
                return 0.0
            return self._fragments[-1].start - self._fragments[0].start

    @property
    def oldest_start(self) -> float | None:
        """Camera time of the oldest footage held, or None when empty."""
        with self._lock:
            return self._fragments[0].start if self._fragments else None

    @property
    def nbytes(self) -> int:
        """Memory the buffer holds: 60 s of 1080p is tens of megabytes, which a device must have."""
        with self._lock:
            return sum(f.size for f in self._fragments)

    def __len__(self) -> int:
        with self._lock:
            return len(self._fragments)
