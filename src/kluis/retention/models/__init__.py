"""Holds, early-deletion grounds, joint deletion decisions and the purge's own bookkeeping.

A recording's deletion date follows from data, never from a flag someone sets by hand:
its term (`Recording.retention_until`, the recording's start plus the policy's retention days,
RET-1), an `EarlyDeletion` when the policy deletes after handling (RET-3) or when a joint
decision says so (RET-5), and its active `Hold`s, which keep it whatever the date (RET-2).

The purge writes a `Deletion` per recording and moves it through its steps, each step persisted
before the next begins, so a purge killed at any moment is finished by the next run (RET-4).
"""

from .decisions import DeletionDecision, EarlyDeletion
from .holds import Hold, HoldQuerySet
from .mass_deletion import MassDeletionRequest
from .purge import Deletion, PurgeRun

__all__ = [
    "Deletion",
    "DeletionDecision",
    "EarlyDeletion",
    "Hold",
    "HoldQuerySet",
    "MassDeletionRequest",
    "PurgeRun",
]
