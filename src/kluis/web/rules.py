"""Who may see what in the staff web app. Registered with the one permission helper."""

from kluis.organisations.permissions import rule
from kluis.viewing.access import may_know_recording


@rule("web.view_recording")
def _view_recording(user, recording):
    """A recording's page (metadata, holds, deletion date): the people of ACC-1 only (ORG-4)."""
    from kluis.recordings.models import Recording

    return isinstance(recording, Recording) and may_know_recording(user, recording)
