"""Permission rules of organisations: who sees and manages an organisation, who confirms a role
request (registered with the one permission helper, `kluis.core.permissions`)."""

from __future__ import annotations

from kluis.core.permissions import rule

from .models import Membership, Role
from .permissions import has_role, organisation_of

ADMIN_ROLES = (Role.FUNCTIONAL_ADMIN,)


@rule("organisations.view")
def _view_organisation(user, obj):
    return has_role(user, organisation_of(obj))


@rule("organisations.manage")
def _manage_organisation(user, obj):
    """Functional administrators set up teams, people and policy of their own organisation."""
    return has_role(user, organisation_of(obj), *ADMIN_ROLES)


#: Roles whose request the team's manager (or deputy) may confirm; every other footage role
#: and every reporting line needs the privacy officer (they open colleagues' footage).
TEAM_CONFIRMED_ROLES = frozenset(
    {Role.OFFICER, Role.INVITED_STAFF, Role.COMPLAINT_COORDINATOR, Role.CONTROL_ROOM}
)


@rule("organisations.confirm_request")
def _confirm_request(user, request):
    """Who confirms a role request (ACC-1): the privacy officer of the organisation; for an
    officer-level role in a team, also that team's manager or deputy. Never the person who asked
    or whom it is about (checked again in the action)."""
    org = organisation_of(request)
    if org is None or user.pk == request.requested_by_id or user.pk in request.subjects:
        return False
    if has_role(user, org, Role.PRIVACY_OFFICER):
        return True
    if request.kind == "membership" and request.role in TEAM_CONFIRMED_ROLES and request.team_id:
        return (
            Membership.objects.active()
            .filter(
                user=user,
                organisation=org,
                team_id=request.team_id,
                role__in=(Role.MANAGER, Role.DEPUTY_MANAGER),
            )
            .exists()
        )
    return False
