"""Which officer wears which camera during a shift."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .cameras import Camera


class CameraAssignment(models.Model):
    """Which officer wears a camera during one shift; recordings made then carry that officer."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="camera_assignments",
        verbose_name=_("organisation"),
    )
    camera = models.ForeignKey(
        Camera, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("camera")
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="camera_assignments",
        verbose_name=_("officer"),
    )
    shift_start = models.DateTimeField(_("shift start"))
    shift_end = models.DateTimeField(_("shift end"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )

    class Meta:
        verbose_name = _("camera assignment")
        verbose_name_plural = _("camera assignments")
        ordering = ["-shift_start"]
        indexes = [models.Index(fields=["camera", "shift_start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(shift_end__gt=F("shift_start")), name="assignment_shift_ordered"
            )
        ]

    def __str__(self):
        return f"{self.camera} → {self.officer} ({self.shift_start:%Y-%m-%d %H:%M})"
