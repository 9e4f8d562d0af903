"""Who may file and read incident reports. Registered with the one permission helper."""

from kluis.core.permissions import rule
from kluis.viewing.access import is_involved_officer, is_manager_for, may_see


@rule("reports.file")
def _file(user, recording):
    """Only the officer who made the recording files its report (RPT-1)."""
    return (
        recording is not None and is_involved_officer(user, recording) and may_see(user, recording)
    )


@rule("reports.read")
def _read(user, report):
    """The officer who filed it and that officer's manager or deputy (RPT-3)."""
    if report is None:
        return False
    recording = report.recording
    return may_see(user, recording) and (
        report.officer_id == user.pk or is_manager_for(user, recording)
    )
