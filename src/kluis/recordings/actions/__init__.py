"""State changes of uploads, recordings and storage locations, each with its audit entry.

The file work of ingest (staging, verifying, storing) is in `ingest.py`; it calls these actions
for every change to the database, so that an audit entry exists exactly when the change does.

One module per concept; callers import this package (`from kluis.recordings import actions`):
`uploads`, `storing` (a verified recording and its receipt), `storage_locations` (processing
agreements and where footage goes) and `officers` (naming a recording's officer).
"""

from .officers import OfficerNotAssignable, assign_officer
from .storage_locations import enable_storage_location, record_processing_agreement
from .storing import format_receipt_time, replace_recording, store_recording
from .uploads import advance_upload, reject_upload, reset_upload, start_upload

__all__ = [
    "OfficerNotAssignable",
    "advance_upload",
    "assign_officer",
    "enable_storage_location",
    "format_receipt_time",
    "record_processing_agreement",
    "reject_upload",
    "replace_recording",
    "reset_upload",
    "start_upload",
    "store_recording",
]
