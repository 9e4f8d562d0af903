"""What cameras send: enrolment and uploads (docs/ingest.md)."""

from __future__ import annotations

from pathlib import Path

from .base import DATA_DIR, env

# Uploads are staged here (sealed ciphertext only) until verified; keep it on the same file
# system as a file:// footage store so storing is a rename, not a copy.
UPLOAD_DIR = Path(env("UPLOAD_DIR") or DATA_DIR / "incoming")
UPLOAD_MAX_BYTES = int(env("UPLOAD_MAX_BYTES", str(16 * 1024**3)))
# One upload PATCH at most; the only request allowed past REQUEST_MAX_BYTES (see security.py).
UPLOAD_PATCH_MAX_BYTES = int(env("UPLOAD_PATCH_MAX_BYTES", str(8 * 1024**2)))
# How far a camera's clock may be off before its signed requests are refused.
CAMERA_CLOCK_SKEW_SECONDS = int(env("CAMERA_CLOCK_SKEW_SECONDS", "300"))
# How long a camera's enrolment code stays valid.
ENROLMENT_CODE_HOURS = int(env("ENROLMENT_CODE_HOURS", "72"))
