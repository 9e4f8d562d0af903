"""The lists of recordings the staff pages show, each limited to what its reader may know."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.organisations.people import footage_organisation_ids, managed_officer_ids
from kluis.recordings.models import Recording
from kluis.recordings.rules import led_team_ids
from kluis.reports.models import IncidentReport
from kluis.retention.models import Hold

#: Recordings whose retention ends within this many days are "due for deletion".
DUE_DAYS = 7


def _recordings():
    return Recording.objects.filter(state=Recording.State.STORED).select_related(
        "organisation", "team", "camera", "officer"
    )


def my_recordings(user):
    """The officer's own recordings."""
    return _recordings().filter(officer=user, organisation__in=footage_organisation_ids(user))


def team_recordings(user):
    """Recordings of the officers this person manages or deputises for today, and those of
    their team's cameras that have no officer yet (they name one: recordings.rules)."""
    return _recordings().filter(
        Q(officer__in=managed_officer_ids(user))
        | Q(officer__isnull=True, team__in=led_team_ids(user)),
        organisation__in=footage_organisation_ids(user),
    )


def due_for_deletion(queryset, days: int = DUE_DAYS):
    """Those whose retention period ends within `days` and that no open hold keeps (RET-2)."""
    held = Hold.objects.filter(released_at__isnull=True).values("recording_id")
    return (
        queryset.filter(retention_until__lte=now() + dt.timedelta(days=days))
        .exclude(pk__in=held)
        .order_by("retention_until")
    )


def active_holds(recording) -> list:
    """The recording's holds whose case is still open (RET-2)."""
    return list(
        Hold.objects.filter(recording=recording, released_at__isnull=True).order_by("placed_at")
    )


def incident_report(recording):
    """The officer's report on the recording (RPT-1), or None while it is missing."""
    return IncidentReport.objects.filter(recording=recording).first()


class Need(str):
    """One thing a recording still needs, in words; `url` says where to do it, if anywhere."""

    url: str | None = None


def _need(text, url=None) -> Need:
    need = Need(text)
    need.url = url
    return need


def needs(recording, *, holds=None, reported=None, viewer=None) -> list[Need]:
    """What a recording still needs from the officer or manager, in words for the list.

    `holds` and `reported` can be given when the caller fetched them for many recordings. When
    `viewer` is the officer, a missing incident report links to its form (RPT-1).
    """
    holds = active_holds(recording) if holds is None else holds
    if reported is None:
        reported = incident_report(recording) is not None
    out = []
    if not recording.officer_id:
        # Only the team's managers see these rows; the page checks the permission again.
        url = reverse("recordings:assign-officer", args=[str(recording.pk)])
        out.append(_need(_("Officer unknown"), url))
    if recording.clock_implausible:
        out.append(_need(_("Camera clock implausible: check the time")))
    if recording.officer_id and not reported:
        url = None
        if viewer is not None and viewer.pk == recording.officer_id:
            url = _report_form_url(recording)
        out.append(_need(_("Incident report missing"), url))
    if not recording.complete:
        out.append(_need(_("Incomplete: the camera lost power")))
    for hold in holds:
        out.append(_need(_("On hold: %(reason)s") % {"reason": hold.get_reason_display()}))
    if recording.retention_until <= now() + dt.timedelta(days=DUE_DAYS) and not holds:
        out.append(_need(_("Due for deletion")))
    return out


def _report_form_url(recording) -> str | None:
    try:
        return reverse("reports:file", args=[str(recording.pk)])
    except NoReverseMatch:
        return None


def rows(recordings, viewer=None) -> list[dict]:
    """Each recording with what it needs, in three queries for the whole list."""
    ids = [r.pk for r in recordings]
    holds = defaultdict(list)
    for hold in Hold.objects.filter(recording_id__in=ids, released_at__isnull=True):
        holds[hold.recording_id].append(hold)
    reported = set(
        IncidentReport.objects.filter(recording_id__in=ids).values_list("recording_id", flat=True)
    )
    return [
        {
            "recording": r,
            "needs": needs(r, holds=holds[r.pk], reported=r.pk in reported, viewer=viewer),
        }
        for r in recordings
    ]
