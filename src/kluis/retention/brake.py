"""The brake on mass deletion: a purge that would delete far more than usual stops and asks.

"Usual" is measured, per organisation: the median number of recordings deleted per day over
the last 28 days (days without deletions count as zero). A purge may delete up to
max(RETENTION_BRAKE_MINIMUM, RETENTION_BRAKE_FACTOR x median) recordings per 24 hours,
counting what it already deleted in the last 24 hours; more waits until a functional
administrator and a manager of the organisation, two different people, confirm the number.
A wrong setting (Oakland lost a quarter of its archive that way) then costs one question to two
people instead of the footage.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate

from kluis.core.clock import AMSTERDAM, now

from .models import Deletion, MassDeletionRequest


def _setting(name: str, default):
    return getattr(settings, name, default)


@dataclass(frozen=True)
class Volume:
    median_daily: float
    threshold: int
    deleted_last_24h: int


def usual_volume(organisation, at: dt.datetime | None = None) -> Volume:
    """The organisation's usual daily deletions and the most a purge may delete unasked."""
    at = at or now()
    days = int(_setting("RETENTION_BRAKE_DAYS", 28))
    today = at.astimezone(AMSTERDAM).date()
    first = today - dt.timedelta(days=days)
    start = dt.datetime.combine(first, dt.time(), tzinfo=AMSTERDAM)
    end = dt.datetime.combine(today, dt.time(), tzinfo=AMSTERDAM)
    per_day = dict(
        Deletion.objects.filter(
            organisation=organisation, deleted_at__gte=start, deleted_at__lt=end
        )
        .annotate(day=TruncDate("deleted_at", tzinfo=AMSTERDAM))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    counts = [per_day.get(first + dt.timedelta(days=i), 0) for i in range(days)]
    median = float(statistics.median(counts)) if counts else 0.0
    threshold = max(
        int(_setting("RETENTION_BRAKE_MINIMUM", 50)),
        int(_setting("RETENTION_BRAKE_FACTOR", 3) * median),
    )
    recent = Deletion.objects.filter(
        organisation=organisation, deleted_at__gt=at - dt.timedelta(hours=24)
    ).count()
    return Volume(median, threshold, recent)


@dataclass(frozen=True)
class BrakeDecision:
    allowed: bool
    due: int
    volume: Volume
    request: MassDeletionRequest | None


def check(organisation, due: int, at: dt.datetime | None = None) -> BrakeDecision:
    """May a purge delete `due` recordings of this organisation now?

    Returns the confirmed request it relies on, or the waiting request it made (the caller
    writes the audit entry and marks a confirmation used once the deletions are done).
    """
    volume = usual_volume(organisation, at)
    if due == 0 or due + volume.deleted_last_24h <= volume.threshold:
        return BrakeDecision(True, due, volume, None)
    confirmed = (
        MassDeletionRequest.objects.filter(
            organisation=organisation,
            state=MassDeletionRequest.State.CONFIRMED,
            due_count__gte=due,
        )
        .order_by("-created_at")
        .first()
    )
    if confirmed is not None:
        return BrakeDecision(True, due, volume, confirmed)
    waiting = (
        MassDeletionRequest.objects.filter(
            organisation=organisation, state=MassDeletionRequest.State.WAITING
        )
        .order_by("-created_at")
        .first()
    )
    return BrakeDecision(False, due, volume, waiting)
