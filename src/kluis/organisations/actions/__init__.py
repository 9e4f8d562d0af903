"""Every change to organisations, people and policy goes through here (STYLE.md: actions).

Each action checks permission, changes state and appends its audit entry in one transaction.
`actor=None` means the system itself (setup commands); such changes are audited as "system".

One module per concept; callers import this package (`from kluis.organisations import actions`):
`policy` (presets and settings), `structure` (organisations, municipalities, teams), `roles`
(roles, reporting lines, separation of duties), `role_requests` (what a second person confirms)
and `people` (onboarding, details, passwords).
"""

from .people import PERSON_FIELDS, create_person, person_organisation, reset_password, update_person
from .policy import apply_preset, load_presets, preset, update_policy
from .role_requests import confirm_request, refuse_request, request_reporting_line, request_role
from .roles import assign_manager, check_separation, end_role, grant_role
from .structure import add_municipality, add_team, create_organisation

__all__ = [
    "PERSON_FIELDS",
    "add_municipality",
    "add_team",
    "apply_preset",
    "assign_manager",
    "check_separation",
    "confirm_request",
    "create_organisation",
    "create_person",
    "end_role",
    "grant_role",
    "load_presets",
    "person_organisation",
    "preset",
    "refuse_request",
    "request_reporting_line",
    "request_role",
    "reset_password",
    "update_person",
    "update_policy",
]
