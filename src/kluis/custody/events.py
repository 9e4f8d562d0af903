"""The one registry of audit event types.

Every entry in the audit trail names one of these types; `record()` refuses any other, so a
typo or an event nobody documented cannot enter the trail, and a reader of the trail (or of an
export) can look every type up here. Each type has a Dutch label (through gettext), shown in
the custody report and the admin.

Add a type here, in its group, when an action starts writing a new kind of entry. Never rename
or remove one that production has written: old entries keep their type forever.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class AuditEvent:
    """Audit event types as constants, as Zulip's AuditLogEventType names its events."""

    # Organisations, people and roles
    ORGANISATION_CREATED = "organisation.created"
    POLICY_CHANGED = "policy.changed"
    POLICY_PRESET_APPLIED = "policy.preset_applied"
    MUNICIPALITY_ADDED = "municipality.added"
    TEAM_ADDED = "team.added"
    ROLE_GRANTED = "role.granted"
    ROLE_ENDED = "role.ended"
    ROLE_REQUESTED = "role.requested"
    ROLE_REQUEST_CONFIRMED = "role.request_confirmed"
    ROLE_REQUEST_REFUSED = "role.request_refused"
    REPORTING_LINE_ADDED = "reporting_line.added"
    REPORTING_LINE_ENDED = "reporting_line.ended"
    REPORTING_LINE_REQUESTED = "reporting_line.requested"
    PERSON_CREATED = "person.created"
    PERSON_CHANGED = "person.changed"
    PERSON_DEACTIVATED = "person.deactivated"
    ADMIN_CHANGE = "admin.change"
    ADMIN_REFUSED = "admin.refused"

    # Staff login and second factor
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGIN_LOCKED_OUT = "login.locked_out"
    LOGIN_UNLOCKED = "login.unlocked"
    ACTIVATION_ISSUED = "staff.activation_issued"
    ACTIVATION_USED = "staff.activation_used"
    TOTP_ENROLLED = "staff.totp_enrolled"
    TOTP_RESET = "staff.totp_reset"
    RECOVERY_CODES_ISSUED = "staff.recovery_codes_issued"
    RECOVERY_CODE_USED = "staff.recovery_code_used"
    PASSWORD_CHANGED = "staff.password_changed"  # noqa: S105
    PASSWORD_RESET = "staff.password_reset"  # noqa: S105

    # Cameras
    ORGANISATION_KEY_CREATED = "organisation_key.created"
    CAMERA_REGISTERED = "camera.registered"
    ENROLMENT_CODE_ISSUED = "enrolment_code.issued"
    CAMERA_ENROLLED = "camera.enrolled"
    CAMERA_ENROLMENT_REFUSED = "camera.enrolment_refused"
    CAMERA_AUTH_FAILED = "camera.auth_failed"
    CAMERA_RETIRED = "camera.retired"
    CAMERA_ASSIGNED = "camera.assigned"
    CAMERA_ASSIGNMENT_ENDED = "camera.assignment_ended"

    # Ingest and storage
    UPLOAD_STARTED = "upload.started"
    UPLOAD_RESET = "upload.reset"
    UPLOAD_REJECTED = "upload.rejected"
    RECORDING_INGESTED = "recording.ingested"
    RECORDING_REPLACED = "recording.replaced"
    RECORDING_CLOCK_IMPLAUSIBLE = "recording.clock_implausible"
    RECORDING_OFFICER_ASSIGNED = "recording.officer_assigned"
    PROCESSING_AGREEMENT_RECORDED = "processing_agreement.recorded"
    STORAGE_LOCATION_ENABLED = "storage_location.enabled"

    # Retention
    HOLD_PLACED = "hold.placed"
    HOLD_RELEASED = "hold.released"
    DELETION_PROPOSED = "deletion_decision.proposed"
    DELETION_ADVICE = "deletion_decision.advice"
    DELETION_APPROVAL = "deletion_decision.approval"
    DELETION_APPROVED = "deletion_decision.approved"
    DELETION_REFUSED = "deletion_decision.refused"
    PURGE_BRAKED = "purge.braked"
    PURGE_MASS_DELETION_CONFIRMATION = "purge.mass_deletion_confirmation"
    PURGE_MASS_DELETION_CONFIRMED = "purge.mass_deletion_confirmed"
    PURGE_MASS_DELETION_DONE = "purge.mass_deletion_done"
    PURGE_FINISHED = "purge.finished"
    PURGE_FAILED = "purge.failed"
    RECORDING_DELETED = "recording.deleted"
    TERMS_RECOMPUTED = "retention.terms_recomputed"

    # Viewing
    VIEWING_STARTED = "viewing.session_started"
    VIEWING_PARTICIPANT_INVITED = "viewing.participant_invited"
    VIEWING_PARTICIPANT_CONFIRMED = "viewing.participant_confirmed"
    VIEWING_OPENED = "viewing.session_opened"
    VIEWING_ENDED = "viewing.ended"
    VIEWING_EXPIRED = "viewing.expired"
    VIEWING_BREACH_REPORTED = "viewing.breach_reported"
    VIEWING_STREAM_OPENED = "viewing.stream_opened"
    VIEWING_PLAY = "viewing.playback.play"
    VIEWING_PAUSE = "viewing.playback.pause"
    VIEWING_SEEKED = "viewing.playback.seeked"
    VIEWING_PLAYBACK_ENDED = "viewing.playback.ended"

    # Reports and custody
    REPORT_FILED = "report.filed"
    CUSTODY_REPORT_PRINTED = "custody.report_printed"


LABELS: dict[str, object] = {
    AuditEvent.ORGANISATION_CREATED: _("Organisation created"),
    AuditEvent.POLICY_CHANGED: _("Policy changed"),
    AuditEvent.POLICY_PRESET_APPLIED: _("Policy preset applied"),
    AuditEvent.MUNICIPALITY_ADDED: _("Municipality added"),
    AuditEvent.TEAM_ADDED: _("Team added"),
    AuditEvent.ROLE_GRANTED: _("Role granted"),
    AuditEvent.ROLE_ENDED: _("Role ended"),
    AuditEvent.ROLE_REQUESTED: _("Role requested"),
    AuditEvent.ROLE_REQUEST_CONFIRMED: _("Role request confirmed"),
    AuditEvent.ROLE_REQUEST_REFUSED: _("Role request refused"),
    AuditEvent.REPORTING_LINE_ADDED: _("Reporting line added"),
    AuditEvent.REPORTING_LINE_ENDED: _("Reporting line ended"),
    AuditEvent.REPORTING_LINE_REQUESTED: _("Reporting line requested"),
    AuditEvent.PERSON_CREATED: _("Person created"),
    AuditEvent.PERSON_CHANGED: _("Person changed"),
    AuditEvent.PERSON_DEACTIVATED: _("Person deactivated"),
    AuditEvent.ADMIN_CHANGE: _("Changed in the admin"),
    AuditEvent.ADMIN_REFUSED: _("Change in the admin refused"),
    AuditEvent.LOGIN_SUCCEEDED: _("Login succeeded"),
    AuditEvent.LOGIN_FAILED: _("Login failed"),
    AuditEvent.LOGIN_LOCKED_OUT: _("Login locked out"),
    AuditEvent.LOGIN_UNLOCKED: _("Login unlocked"),
    AuditEvent.ACTIVATION_ISSUED: _("Activation code issued"),
    AuditEvent.ACTIVATION_USED: _("Activation code used"),
    AuditEvent.TOTP_ENROLLED: _("Authenticator set up"),
    AuditEvent.TOTP_RESET: _("Authenticator reset"),
    AuditEvent.RECOVERY_CODES_ISSUED: _("Recovery codes issued"),
    AuditEvent.RECOVERY_CODE_USED: _("Recovery code used"),
    AuditEvent.PASSWORD_CHANGED: _("Password changed"),
    AuditEvent.PASSWORD_RESET: _("Password reset"),
    AuditEvent.ORGANISATION_KEY_CREATED: _("Organisation key created"),
    AuditEvent.CAMERA_REGISTERED: _("Camera registered"),
    AuditEvent.ENROLMENT_CODE_ISSUED: _("Enrolment code issued"),
    AuditEvent.CAMERA_ENROLLED: _("Camera enrolled"),
    AuditEvent.CAMERA_ENROLMENT_REFUSED: _("Camera enrolment refused"),
    AuditEvent.CAMERA_AUTH_FAILED: _("Camera request refused"),
    AuditEvent.CAMERA_RETIRED: _("Camera retired"),
    AuditEvent.CAMERA_ASSIGNED: _("Camera assigned"),
    AuditEvent.CAMERA_ASSIGNMENT_ENDED: _("Camera assignment ended"),
    AuditEvent.UPLOAD_STARTED: _("Upload started"),
    AuditEvent.UPLOAD_RESET: _("Upload reset"),
    AuditEvent.UPLOAD_REJECTED: _("Upload rejected"),
    AuditEvent.RECORDING_INGESTED: _("Recording ingested"),
    AuditEvent.RECORDING_REPLACED: _("Recording replaced by a longer copy"),
    AuditEvent.RECORDING_CLOCK_IMPLAUSIBLE: _("Recording with an implausible camera clock"),
    AuditEvent.RECORDING_OFFICER_ASSIGNED: _("Officer assigned to a recording"),
    AuditEvent.PROCESSING_AGREEMENT_RECORDED: _("Processing agreement recorded"),
    AuditEvent.STORAGE_LOCATION_ENABLED: _("Storage location enabled"),
    AuditEvent.HOLD_PLACED: _("Hold placed"),
    AuditEvent.HOLD_RELEASED: _("Hold released"),
    AuditEvent.DELETION_PROPOSED: _("Deletion proposed"),
    AuditEvent.DELETION_ADVICE: _("Deletion advice given"),
    AuditEvent.DELETION_APPROVAL: _("Deletion approved by one"),
    AuditEvent.DELETION_APPROVED: _("Deletion approved"),
    AuditEvent.DELETION_REFUSED: _("Deletion refused"),
    AuditEvent.PURGE_BRAKED: _("Purge braked"),
    AuditEvent.PURGE_MASS_DELETION_CONFIRMATION: _("Mass deletion confirmed by one of two"),
    AuditEvent.PURGE_MASS_DELETION_CONFIRMED: _("Mass deletion confirmed"),
    AuditEvent.PURGE_MASS_DELETION_DONE: _("Mass deletion done"),
    AuditEvent.PURGE_FINISHED: _("Purge finished"),
    AuditEvent.PURGE_FAILED: _("Purge failed"),
    AuditEvent.RECORDING_DELETED: _("Recording deleted"),
    AuditEvent.TERMS_RECOMPUTED: _("Retention terms recomputed"),
    AuditEvent.VIEWING_STARTED: _("Viewing started"),
    AuditEvent.VIEWING_PARTICIPANT_INVITED: _("Participant invited"),
    AuditEvent.VIEWING_PARTICIPANT_CONFIRMED: _("Participant confirmed"),
    AuditEvent.VIEWING_OPENED: _("Viewing opened"),
    AuditEvent.VIEWING_ENDED: _("Viewing ended"),
    AuditEvent.VIEWING_EXPIRED: _("Viewing expired"),
    AuditEvent.VIEWING_BREACH_REPORTED: _("Breach reported"),
    AuditEvent.VIEWING_STREAM_OPENED: _("Footage first streamed"),
    AuditEvent.VIEWING_PLAY: _("Playback started"),
    AuditEvent.VIEWING_PAUSE: _("Playback paused"),
    AuditEvent.VIEWING_SEEKED: _("Playback position changed"),
    AuditEvent.VIEWING_PLAYBACK_ENDED: _("Playback reached the end"),
    AuditEvent.REPORT_FILED: _("Incident report filed"),
    AuditEvent.CUSTODY_REPORT_PRINTED: _("Custody report printed"),
}

ALL: frozenset[str] = frozenset(value for name, value in vars(AuditEvent).items() if name.isupper())


class UnknownAuditEvent(ValueError):
    """An action tried to write an event type that is not in the registry."""


def check(action: str) -> str:
    """`action` if it is a registered type; otherwise UnknownAuditEvent."""
    if action not in ALL:
        raise UnknownAuditEvent(
            f"audit event type {action!r} is not registered in kluis.custody.events"
        )
    return action


def label(action: str) -> str:
    """The event's label in the active language, or the type itself for an unknown one."""
    return str(LABELS.get(action, action))
