"""The lists of recordings the staff pages show, each limited to what its reader may know."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Q

from kluis.core.clock import now
from kluis.organisations.models import NO_FOOTAGE_ROLES, Membership
from kluis.viewing.access import managed_officer_ids

#: Recordings whose retention ends within this many days are "due for deletion".
DUE_DAYS = 7


def _recordings():
    from kluis.recordings.models import Recording

    return Recording.objects.filter(state=Recording.State.STORED).select_related(
        "organisation", "team", "camera", "officer"
    )


def _footage_org_ids(user):
    """Organisations where the person holds a role that may see footage (ORG-4)."""
    return (
        Membership.objects.active()
        .filter(user=user)
        .exclude(role__in=NO_FOOTAGE_ROLES)
        .values("organisation_id")
    )


def my_recordings(user):
    """The officer's own recordings."""
    return _recordings().filter(officer=user, organisation__in=_footage_org_ids(user))


def team_recordings(user):
    """Recordings of the officers this person manages or deputises for today."""
    return _recordings().filter(
        officer__in=managed_officer_ids(user), organisation__in=_footage_org_ids(user)
    )


def due_for_deletion(queryset, days: int = DUE_DAYS):
    """Those whose retention period ends within `days` (a hold may still keep them)."""
    return queryset.filter(retention_until__lte=now() + dt.timedelta(days=days)).order_by(
        "retention_until"
    )


def _optional_model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def active_holds(recording) -> list:
    """The recording's holds that have not ended, when the retention app has holds (RET-2)."""
    hold = _optional_model("retention", "Hold")
    if hold is None:
        return []
    fields = {f.name for f in hold._meta.get_fields()}
    qs = None
    if "recording" in fields:
        qs = hold.objects.filter(recording=recording)
    elif "recordings" in fields:
        qs = hold.objects.filter(recordings=recording)
    if qs is None:
        return []
    for ended in ("ended_at", "released_at", "closed_at"):
        if ended in fields:
            qs = qs.filter(Q(**{f"{ended}__isnull": True}) | Q(**{f"{ended}__gt": now()}))
            break
    return list(qs)


def has_incident_report(recording) -> bool | None:
    """Whether the officer filed the report (RPT-1); None when the reports app cannot tell."""
    report = _optional_model("reports", "IncidentReport")
    if report is None:
        return None
    fields = {f.name for f in report._meta.get_fields()}
    if "recording" in fields:
        return report.objects.filter(recording=recording).exists()
    if "recordings" in fields:
        return report.objects.filter(recordings=recording).exists()
    return None


def needs(recording) -> list[str]:
    """What a recording still needs from the officer or manager, in words for the list."""
    from django.utils.translation import gettext as _

    out = []
    if has_incident_report(recording) is False:
        out.append(_("Incident report missing"))
    if not recording.complete:
        out.append(_("Incomplete: the camera lost power"))
    if recording.retention_until <= now() + dt.timedelta(days=DUE_DAYS):
        if active_holds(recording):
            out.append(_("Retention ends, but a hold keeps it"))
        else:
            out.append(_("Due for deletion"))
    return out
