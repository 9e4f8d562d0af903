"""Recordings, their uploads, and where an organisation's footage may be stored (STO-1, STO-2).

A Recording exists only once its sealed file has been received whole, verified against the
camera's signature and stored durably; until then there is only an Upload.
"""

from .recordings import Recording, Upload
from .storage_locations import ProcessingAgreement, StorageLocation

__all__ = ["ProcessingAgreement", "Recording", "StorageLocation", "Upload"]
