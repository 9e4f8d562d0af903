"""Who may see what of the audit trail (deny by default; organisations/permissions.py)."""

from __future__ import annotations

from kluis.organisations.models import Role
from kluis.organisations.people import is_manager_or_deputy_of
from kluis.organisations.permissions import has_role, organisation_of, rule


@rule("custody.view_report")
def view_report(user, recording) -> bool:
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
