"""Who may manage cameras. Registered with the one permission helper (deny by default)."""

from kluis.core.permissions import rule
from kluis.organisations.models import Role
from kluis.organisations.permissions import has_role, organisation_of


@rule("devices.manage")
def _manage_cameras(user, obj):
    """Functional administrators issue enrolment codes and retire cameras of their organisation."""
    return has_role(user, organisation_of(obj), Role.FUNCTIONAL_ADMIN)


@rule("devices.assign")
def _assign_cameras(user, obj):
    """Administrators and managers hand cameras to officers for a shift."""
    return has_role(
        user, organisation_of(obj), Role.FUNCTIONAL_ADMIN, Role.MANAGER, Role.DEPUTY_MANAGER
    )
