"""Who may see what in the staff web app. Registered with the one permission helper."""

from kluis.core.permissions import rule
from kluis.organisations.models import Membership, Role, User
from kluis.recordings.models import Recording
from kluis.viewing.access import may_know_recording


@rule("staff.view_recording")
def _view_recording(user, recording):
    """A recording's page (metadata, holds, deletion date): the people of ACC-1 only (ORG-4)."""
    return isinstance(recording, Recording) and may_know_recording(user, recording)


@rule("staff.manage_login")
def _manage_login(user, person):
    """Activation codes, authenticator resets and unlocks: a functional administrator of an
    organisation the person has a role in, and never for themselves."""
    if not isinstance(person, User) or person.pk == user.pk:
        return False
    organisations = Membership.objects.filter(user=person).values("organisation_id")
    return (
        Membership.objects.active()
        .filter(user=user, role=Role.FUNCTIONAL_ADMIN, organisation_id__in=organisations)
        .exists()
    )
