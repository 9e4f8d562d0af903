"""Cameras and what ties them to an organisation: enrolment codes, keys, shifts (ORG-5).

A camera is registered to one organisation and team; it becomes able to deliver footage only
once it has enrolled its own Ed25519 public key with a single-use code that a functional
administrator issued. The organisation's X25519 key (cameras seal footage to it) lives here too.
"""

from .assignments import CameraAssignment
from .cameras import Camera, EnrolmentCode
from .request_guards import CameraNonce, RefusalWindow
from .sealing_keys import OrganisationKey

__all__ = [
    "Camera",
    "CameraAssignment",
    "CameraNonce",
    "EnrolmentCode",
    "OrganisationKey",
    "RefusalWindow",
]
