"""Permission rules of recordings (registered with the one permission helper).

A recording whose camera had no assigned shift has no officer. It goes to the managers and
deputy managers of the camera's team (the team ingest stored on the recording): they hand out
that team's cameras and know who wore one, and the organisation's other teams do not.
"""

from __future__ import annotations

from kluis.core.permissions import rule
from kluis.organisations.models import Membership, Role
from kluis.organisations.people import is_manager_or_deputy_of
from kluis.organisations.permissions import has_role, organisation_of

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


# The custody report is the audit trail's (kluis.custody prints it), but who may read it depends
# on roles and reporting lines, which sit above the trail; the recording is what it is about.
@rule("custody.view_report")
def _view_custody_report(user, recording) -> bool:
    """The chain-of-custody report of a recording (AUD-3): the organisation's privacy officer,
    and the involved officer's manager or that manager's deputy. The report holds metadata only,
    never footage, but it names people, so nobody else gets it.
    """
    organisation = organisation_of(recording)
    if organisation is None:
        return False
    if has_role(user, organisation, Role.PRIVACY_OFFICER):
        return True
    officer = getattr(recording, "officer", None)
    if officer is None or not has_role(user, organisation, Role.MANAGER, Role.DEPUTY_MANAGER):
        return False
    return is_manager_or_deputy_of(user, officer, organisation)
