"""Guards on signed camera requests: replayed nonces, and refusals audited without
letting a flood fill the trail.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from kluis.core.clock import now
from kluis.custody.log import record
from kluis.custody.models import chain_key

from ..models import Camera, CameraNonce, RefusalWindow


def remember_nonce(camera: Camera, nonce: str) -> bool:
    """Store a request nonce; False when this camera used it before (a replay).

    Nonces older than twice the clock window can never be accepted again (their timestamp is
    stale), so they are pruned here rather than by a separate job.
    """
    moment = now()
    horizon = moment - dt.timedelta(seconds=2 * settings.CAMERA_CLOCK_SKEW_SECONDS)
    try:
        with transaction.atomic():
            CameraNonce.objects.create(camera=camera, nonce=nonce, seen_at=moment)
    except IntegrityError:
        return False
    CameraNonce.objects.filter(camera=camera, seen_at__lt=horizon).delete()
    return True


# At most this many refusals per chain per minute become audit entries (each of a different
# source); further sources in that minute are only counted, under one overflow source.
REFUSALS_AUDITED_PER_MINUTE = 60


def refusal_recorded(organisation, action: str, *, key: str, actor_label: str, details) -> bool:
    """Audit a refusal (camera auth or enrolment failure) without letting a flood fill the trail.

    Aggregated per source and minute: `key` names the source (camera id or address). The first
    refusal of a source in a minute is written to the audit trail, with the minute it opens;
    every further one in that minute only increments `RefusalWindow.count`, and the next entry
    of that source reports how many were counted in its previous minute. Past
    REFUSALS_AUDITED_PER_MINUTE sources per chain and minute (an attacker varying addresses),
    refusals are counted under one overflow source. Runs in its own transaction: the refused
    request's own transaction has rolled back. True when an audit entry was written.
    """
    moment = now()
    minute = moment.replace(second=0, microsecond=0)
    chain = chain_key(organisation)
    source = f"{chain}:{key}"[:200]
    with transaction.atomic():
        if not RefusalWindow.objects.filter(source=source, minute=minute).exists():
            opened = RefusalWindow.objects.filter(chain=chain, minute=minute).count()
            if opened >= REFUSALS_AUDITED_PER_MINUTE:
                source = f"{chain}:overflow"
        window, created = RefusalWindow.objects.get_or_create(
            source=source, minute=minute, defaults={"chain": chain, "count": 1}
        )
        if not created:
            RefusalWindow.objects.filter(pk=window.pk).update(count=F("count") + 1)
            return False
        previous = (
            RefusalWindow.objects.filter(source=source, minute__lt=minute)
            .order_by("-minute")
            .values_list("count", flat=True)
            .first()
        )
        RefusalWindow.objects.filter(minute__lt=moment - dt.timedelta(days=1)).delete()
        record(
            organisation=organisation,
            actor=None,
            actor_label=actor_label[:200],
            action=action,
            details={
                **details,
                "source": source,
                "window": minute.isoformat(),
                "refused_in_previous_window": previous,
                "overflow": source.endswith(":overflow"),
            },
        )
        return True
