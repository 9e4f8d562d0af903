"""The one clock of Kluis.

Retention, shifts, deadlines and audit times all read the time here, so a test can move time for
the whole system at once (`with frozen_at(...)` or `advance(...)`) instead of patching datetime.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from zoneinfo import ZoneInfo

# The zone of the Dutch municipalities: days, shifts, terms and printed times are counted in it.
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_lock = threading.Lock()
_offset = dt.timedelta(0)
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, timezone-aware (UTC), as the rest of Kluis must see it."""
    with _lock:
        if _frozen is not None:
            return _frozen
        return dt.datetime.now(dt.UTC) + _offset


def today() -> dt.date:
    """Today's date in the Netherlands, where shifts, terms and deadlines are counted."""
    return now().astimezone(AMSTERDAM).date()


def advance(delta: dt.timedelta) -> None:
    """Move the clock forward (tests only): a frozen clock moves with it."""
    global _offset, _frozen
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset += delta


@contextlib.contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Stop the clock at `moment` for the duration of the block (tests only)."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs a timezone-aware datetime")
    with _lock:
        previous = _frozen
        _frozen = moment
    try:
        yield
    finally:
        with _lock:
            _frozen = previous


def reset() -> None:
    """Back to the real time (tests use this between cases)."""
    global _offset, _frozen
    with _lock:
        _offset = dt.timedelta(0)
        _frozen = None
