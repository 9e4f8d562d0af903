"""Who may do what with holds, joint decisions and the brake (deny by default).

Registered with the one permission helper (kluis.core.permissions). The actions check the
finer points (which side of a joint decision a person is on, on which day) themselves.
"""

from __future__ import annotations

from kluis.core.permissions import rule
from kluis.organisations.models import Role
from kluis.organisations.people import is_manager_or_deputy_of
from kluis.organisations.permissions import has_role, organisation_of

#: Roles that handle the cases that hold footage: complaints, GDPR requests, police demands.
HOLD_ROLES = (
    Role.MANAGER,
    Role.DEPUTY_MANAGER,
    Role.PRIVACY_OFFICER,
    Role.COMPLAINT_COORDINATOR,
)


def _is_involved_officer(user, recording) -> bool:
    return getattr(recording, "officer_id", None) == user.pk and has_role(
        user, organisation_of(recording), Role.OFFICER
    )


def _manages(user, recording) -> bool:
    officer = getattr(recording, "officer", None)
    return is_manager_or_deputy_of(user, officer, organisation_of(recording))


@rule("retention.view")
def view(user, obj) -> bool:
    """Retention status and holds are metadata: every member of the organisation may see them,
    functional administrators included (they never see footage, ORG-4)."""
    return has_role(user, organisation_of(obj))


@rule("retention.place_hold")
def place_hold(user, recording) -> bool:
    """Case handlers place holds; the involved officer may hold their own recording (for
    learning on their own initiative: the action checks the reason)."""
    organisation = organisation_of(recording)
    return has_role(user, organisation, *HOLD_ROLES) or _is_involved_officer(user, recording)


@rule("retention.release_hold")
def release_hold(user, hold) -> bool:
    """Case handlers release holds; whoever placed a hold may release it."""
    organisation = organisation_of(hold)
    if not has_role(user, organisation):
        return False
    return hold.placed_by_id == user.pk or has_role(user, organisation, *HOLD_ROLES)


@rule("retention.decide")
def decide(user, recording) -> bool:
    """A joint deletion or editing decision: only the involved officer and that officer's
    manager or deputy, on the day (RET-5)."""
    return _is_involved_officer(user, recording) or _manages(user, recording)


@rule("retention.confirm_mass_deletion")
def confirm_mass_deletion(user, request) -> bool:
    """The brake is released by a functional administrator and a manager of the organisation."""
    return has_role(
        user, organisation_of(request), Role.FUNCTIONAL_ADMIN, Role.MANAGER, Role.DEPUTY_MANAGER
    )
