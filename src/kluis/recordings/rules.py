"""Permission rules of recordings (registered with the one permission helper).

A recording whose camera had no assigned shift has no officer. It goes to the managers and
deputy managers of the camera's team (the team ingest stored on the recording): they hand out
that team's cameras and know who wore one, and the organisation's other teams do not.
"""

from __future__ import annotations

from kluis.organisations.models import Membership, Role
from kluis.organisations.permissions import rule

TEAM_LEAD_ROLES = (Role.MANAGER, Role.DEPUTY_MANAGER)


def led_team_ids(user):
    """Teams this person manages or deputises for today (by team membership)."""
    return (
        Membership.objects.active()
        .filter(user=user, role__in=TEAM_LEAD_ROLES, team__isnull=False)
        .values("team_id")
    )


def leads_team(user, recording) -> bool:
    return (
        Membership.objects.active()
        .filter(
            user=user,
            organisation_id=recording.organisation_id,
            team_id=recording.team_id,
            role__in=TEAM_LEAD_ROLES,
        )
        .exists()
    )


@rule("recordings.assign_officer")
def _assign_officer(user, recording):
    """The camera's team's manager or deputy names the officer of a recording that has none."""
    return recording is not None and recording.officer_id is None and leads_team(user, recording)
