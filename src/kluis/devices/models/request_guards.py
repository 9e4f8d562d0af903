"""What the server keeps to guard signed camera requests: replayed nonces and
counts of refused requests.
"""

from __future__ import annotations

from django.db import models

from .cameras import Camera


class CameraNonce(models.Model):
    """Nonces of signed camera requests seen within the clock window: a reused one is a replay."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["camera", "nonce"], name="camera_nonce_once")
        ]

    def __str__(self):
        return self.nonce


class RefusalWindow(models.Model):
    """How often one source was refused in one minute (camera auth and enrolment failures).

    Only the first refusal of a source per minute becomes an audit entry; the rest are counted
    here, so a flood of forged requests cannot flood the audit trail (devices.actions).
    """

    chain = models.CharField(max_length=40)
    source = models.CharField(max_length=200)
    minute = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "minute"], name="refusal_window_once")
        ]

    def __str__(self):
        return f"{self.source} {self.minute:%Y-%m-%d %H:%M} ×{self.count}"
