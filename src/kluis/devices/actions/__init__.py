"""Changes to cameras. Each action checks permission and writes its audit entry (ORG-5).

`actor=None` is the system (setup commands, the camera itself through the API; cameras are
named in the audit trail by `actor_label`).

One module per concept; callers import this package (`from kluis.devices import actions`):
`cameras` (register, retire), `enrolment` (codes and enrolling), `sealing_keys` (the
organisation's key), `assignments` (shifts) and `request_guards` (nonces, refusals).
"""

from .assignments import assign_camera, assignment_at, end_assignment
from .cameras import camera_label, register_camera, retire_camera
from .enrolment import (
    CODE_ALPHABET,
    EnrolmentRefused,
    InvalidPublicKey,
    enrol_camera,
    hash_code,
    issue_enrolment_code,
    normalise_code,
)
from .request_guards import REFUSALS_AUDITED_PER_MINUTE, refusal_recorded, remember_nonce
from .sealing_keys import ensure_organisation_key

__all__ = [
    "CODE_ALPHABET",
    "REFUSALS_AUDITED_PER_MINUTE",
    "EnrolmentRefused",
    "InvalidPublicKey",
    "assign_camera",
    "assignment_at",
    "camera_label",
    "end_assignment",
    "enrol_camera",
    "ensure_organisation_key",
    "hash_code",
    "issue_enrolment_code",
    "normalise_code",
    "refusal_recorded",
    "register_camera",
    "remember_nonce",
    "retire_camera",
]
