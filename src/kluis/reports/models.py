"""Incident reports (verslagen) and the notifications that carry them to managers (RPT-1..RPT-4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class IncidentReport(models.Model):
    """The officer's account of one recording, filed before the end of the shift (H2O art. 3)."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="incident_reports",
        verbose_name=_("organisation"),
    )
    recording = models.OneToOneField(
        "recordings.Recording",
        on_delete=models.PROTECT,
        related_name="incident_report",
        verbose_name=_("recording"),
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incident_reports",
        verbose_name=_("officer"),
    )
    facts = models.TextField(_("facts and circumstances that led to recording"))
    description = models.TextField(_("what the recording shows"))
    warned_before = models.BooleanField(_("warned before recording"))
    warnings_given = models.PositiveSmallIntegerField(_("spoken warnings given"))
    warned_afterwards = models.BooleanField(
        _("warning given as soon as possible afterwards"), default=False
    )
    warning_explanation = models.TextField(
        _("why no or fewer warnings were given"),
        blank=True,
    )
    colleagues_in_view = models.BooleanField(_("colleagues in view"), default=False)
    colleagues_told = models.BooleanField(_("colleagues told"), default=False)
    criminal_report_filed = models.BooleanField(
        _("criminal report (aangifte) filed"), default=False
    )
    criminal_report_reference = models.CharField(
        _("criminal report reference"),
        max_length=120,
        blank=True,
    )
    filed_at = models.DateTimeField(_("filed at"))
    due_at = models.DateTimeField(_("due at (end of shift)"))
    late = models.BooleanField(_("filed after the end of the shift"), default=False)

    class Meta:
        verbose_name = _("incident report")
        verbose_name_plural = _("incident reports")
        ordering = ["-filed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(criminal_report_filed=False) | ~Q(criminal_report_reference=""),
                name="report_criminal_reference_given",
                violation_error_message=_("A criminal report needs its reference."),
            ),
        ]

    def __str__(self):
        return f"{self.recording} ({self.officer})"


class Notification(models.Model):
    """A message in the app (and by e-mail) for one person: a new report, a reminder."""

    class Kind(models.TextChoices):
        REPORT_FILED = "report_filed", _("incident report filed")
        REPORT_REMINDER = "report_reminder", _("incident report still missing")
        REPORT_OVERDUE = "report_overdue", _("incident report overdue")

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    recording = models.ForeignKey(
        "recordings.Recording",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recording"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            # One reminder of a kind per person and recording: running the job twice is harmless.
            models.UniqueConstraint(
                fields=["recipient", "kind", "recording"], name="notification_once_per_recording"
            ),
        ]

    def __str__(self):
        return self.subject
