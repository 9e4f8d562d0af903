"""Every change to holds, deletion decisions, the brake and the purge's progress.

Each action checks permission, changes state and appends its audit entry in one transaction
(STYLE.md). `actor=None` is the system (the purge, or another app's action that already
checked its own permission, such as the cases app placing a hold for a GDPR request).

One module per concept; callers import this package (`from kluis.retention import actions`):

- `holds`: place and release holds (RET-2, RET-3, CPL-3);
- `decisions`: joint decisions to delete early or to edit (RET-5);
- `mass_deletion`: the brake's requests and their confirmation by two people;
- `policy`: policy changes that move deletion dates;
- `purge_progress`: the purge's runs and deletion steps. The purge's file work (destroying
  keys, deleting objects) lives in `retention/purge.py`; every change it makes to the database
  goes through the `deletion_*` actions there.
"""

from .decisions import (
    approve_decision,
    edit_approved,
    propose_decision,
    record_privacy_advice,
    refuse_decision,
)
from .holds import place_hold, release_case, release_hold
from .mass_deletion import confirm_mass_deletion, mass_deletion_used, request_mass_deletion
from .policy import change_retention_days, retention_changed
from .purge_progress import (
    deletion_claim,
    deletion_done,
    deletion_step,
    purge_finished,
    purge_started,
)

__all__ = [
    "approve_decision",
    "change_retention_days",
    "confirm_mass_deletion",
    "deletion_claim",
    "deletion_done",
    "deletion_step",
    "edit_approved",
    "mass_deletion_used",
    "place_hold",
    "propose_decision",
    "purge_finished",
    "purge_started",
    "record_privacy_advice",
    "refuse_decision",
    "release_case",
    "release_hold",
    "request_mass_deletion",
    "retention_changed",
]
