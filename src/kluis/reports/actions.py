"""Filing incident reports and telling managers (RPT-1..RPT-4, REC-4, REC-5).

Every function here is the only way its change happens, and writes its audit entry in the same
transaction. E-mail leaves after the commit, so a failed filing never sends a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.permissions import require
from kluis.core.problems import Conflict, KluisError
from kluis.custody.log import record
from kluis.organisations.people import managers_or_deputies_of
from kluis.retention.actions import place_hold
from kluis.retention.models import Hold

from . import terms
from .models import IncidentReport, Notification


class ReportInvalid(KluisError):
    code = "report-invalid"
    title = "The report is not complete"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(" ".join(errors.values()), errors=errors)


@dataclass
class ReportInput:
    """What the officer writes. Parsed by the form or the API, validated here."""

    facts: str
    description: str
    warned_before: bool
    warnings_given: int
    warned_afterwards: bool = False
    warning_explanation: str = ""
    colleagues_in_view: bool = False
    colleagues_told: bool = False
    criminal_report_filed: bool = False
    criminal_report_reference: str = ""


def validate(recording, data: ReportInput) -> dict[str, str]:
    """Every reason the report cannot be filed as it is, by field, in words one can act on."""
    policy = recording.organisation.policy
    errors: dict[str, str] = {}
    if not data.facts.strip():
        errors["facts"] = _("Describe the facts and circumstances that led to recording.")
    if not data.description.strip():
        errors["description"] = _("Describe what the recording shows.")
    if data.warnings_given < 0 or data.warnings_given > 10:
        errors["warnings_given"] = _("Give the number of spoken warnings (0 to 10).")
    if data.warned_before and data.warnings_given == 0:
        errors["warnings_given"] = _(
            "You say you warned before recording: give how many spoken warnings."
        )
    if not data.warned_before and data.warnings_given > 0:
        errors["warned_before"] = _("You gave warnings, so the person was warned before recording.")
    fewer = data.warnings_given < policy.spoken_warnings
    if fewer and not data.warning_explanation.strip():
        # REC-4, RPT-2: the policy's number of warnings, or an explanation why not.
        errors["warning_explanation"] = _(
            "The policy asks for %(n)s spoken warning(s) before recording; you gave %(given)s. "
            "Explain why."
        ) % {"n": policy.spoken_warnings, "given": data.warnings_given}
    if data.warned_afterwards and data.warned_before:
        errors["warned_afterwards"] = _(
            "A warning afterwards applies only when no warning was given before recording."
        )
    colleagues = data.colleagues_in_view or recording.includes_colleagues
    if colleagues and not data.colleagues_told and not data.warning_explanation.strip():
        # REC-5: colleagues in the footage are told; if they were not, the report says why.
        errors["colleagues_told"] = _(
            "Colleagues are in view: tell them, or explain in the report why you could not."
        )
    if data.criminal_report_filed and not data.criminal_report_reference.strip():
        errors["criminal_report_reference"] = _("Give the reference of the criminal report.")
    if not data.criminal_report_filed and data.criminal_report_reference.strip():
        errors["criminal_report_filed"] = _("A reference is given: tick that a report was filed.")
    return errors


@transaction.atomic
def file_report(recording, data: ReportInput, *, actor) -> IncidentReport:
    """File the report for one recording; the manager is told at once (RPT-1..RPT-4)."""
    require(
        actor,
        "reports.file",
        recording,
        _("Only the officer who made the recording files its report."),
    )
    errors = validate(recording, data)
    if errors:
        raise ReportInvalid(errors)
    if IncidentReport.objects.filter(recording=recording).exists():
        raise Conflict(_("This recording already has a report."), code="report-exists")
    moment = now()
    due = terms.due_at(recording)
    try:
        with transaction.atomic():
            report = IncidentReport.objects.create(
                organisation=recording.organisation,
                recording=recording,
                officer=actor,
                facts=data.facts.strip(),
                description=data.description.strip(),
                warned_before=data.warned_before,
                warnings_given=data.warnings_given,
                warned_afterwards=data.warned_afterwards,
                warning_explanation=data.warning_explanation.strip(),
                colleagues_in_view=data.colleagues_in_view or recording.includes_colleagues,
                colleagues_told=data.colleagues_told,
                criminal_report_filed=data.criminal_report_filed,
                criminal_report_reference=data.criminal_report_reference.strip(),
                filed_at=moment,
                due_at=due,
                late=moment > due,
            )
    except IntegrityError:
        raise Conflict(_("This recording already has a report."), code="report-exists")
    record(
        organisation=recording.organisation,
        actor=actor,
        action="report.filed",
        obj=report,
        details={
            "recording_id": str(recording.pk),
            "late": report.late,
            "warned_before": report.warned_before,
            "warnings_given": report.warnings_given,
            "criminal_report": report.criminal_report_reference or None,
        },
    )
    if report.criminal_report_filed:
        # RPT-4, RET-2: a criminal report keeps the footage until its case is closed.
        # The rule places this hold, not the officer's own authority (officers may hold their
        # own footage for learning only), so the system is the actor and the note says why.
        place_hold(
            recording,
            reason=Hold.Reason.CRIMINAL_REPORT,
            case_reference=report.criminal_report_reference,
            note=_("Criminal report noted in the incident report of %(officer)s.")
            % {"officer": actor},
            actor=None,
        )
    _notify_managers(report)
    return report


def bodycam_statement(report: IncidentReport) -> str:
    """The sentence about the bodycam for the criminal report (proces-verbaal) (RPT-4)."""
    r = report.recording
    return _(
        "During this incident a bodycam was used (camera %(camera)s, recording %(id)s, from "
        "%(start)s to %(stop)s, SHA-256 %(sha)s). The recording is kept for this case under "
        "reference %(ref)s."
    ) % {
        "camera": r.camera.serial,
        "id": r.pk,
        "start": r.started_at.isoformat(),
        "stop": r.stopped_at.isoformat() if r.stopped_at else "?",
        "sha": r.sha256,
        "ref": report.criminal_report_reference or "-",
    }


def _local(moment, fmt: str) -> str:
    """A time as people in the Netherlands read it (the database keeps UTC)."""
    return timezone.localtime(moment).strftime(fmt)


def _notify(recipient, kind, recording, subject, body, link) -> Notification | None:
    """One in-app notification (at most one per kind, person and recording) and its e-mail."""
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                organisation=recording.organisation,
                recipient=recipient,
                kind=kind,
                recording=recording,
                subject=subject,
                body=body,
                link=link,
                created_at=now(),
            )
    except IntegrityError:
        return None
    if recipient.email:
        transaction.on_commit(
            lambda: send_mail(
                subject,
                f"{body}\n\n{link}",
                settings.DEFAULT_FROM_EMAIL,
                [recipient.email],
                fail_silently=True,
            )
        )
    return note


def _notify_managers(report: IncidentReport) -> list[Notification]:
    recording = report.recording
    managers = managers_or_deputies_of(report.officer, recording.organisation)
    subject = _("Incident report by %(officer)s") % {"officer": report.officer}
    late = _(" (filed after the end of the shift)") if report.late else ""
    body = _("%(officer)s filed the incident report for the recording of %(start)s%(late)s.") % {
        "officer": report.officer,
        "start": _local(recording.started_at, "%d-%m-%Y %H:%M"),
        "late": late,
    }
    link = reverse("reports:detail", args=[recording.pk])
    sent = [
        _notify(m, Notification.Kind.REPORT_FILED, recording, subject, body, link) for m in managers
    ]
    return [n for n in sent if n]


@transaction.atomic
def send_reminders() -> int:
    """Remind officers of missing reports before the shift ends; tell managers when overdue.

    Idempotent: each reminder exists once per person and recording, so any schedule may run it.
    """
    moment = now()
    sent = 0
    for recording in terms._recordings():
        due = terms.due_at(recording)
        link = reverse("reports:file", args=[recording.pk])
        if moment <= due <= moment + terms.REMINDER_BEFORE:
            if _notify(
                recording.officer,
                Notification.Kind.REPORT_REMINDER,
                recording,
                _("Incident report still missing"),
                _(
                    "File the incident report for the recording of %(start)s before your "
                    "shift ends at %(due)s."
                )
                % {
                    "start": _local(recording.started_at, "%d-%m-%Y %H:%M"),
                    "due": _local(due, "%H:%M"),
                },
                link,
            ):
                sent += 1
        elif due < moment:
            for person in [
                recording.officer,
                *managers_or_deputies_of(recording.officer, recording.organisation),
            ]:
                if _notify(
                    person,
                    Notification.Kind.REPORT_OVERDUE,
                    recording,
                    _("Incident report overdue"),
                    _(
                        "The incident report for the recording of %(start)s by %(officer)s "
                        "was due at the end of the shift."
                    )
                    % {
                        "start": _local(recording.started_at, "%d-%m-%Y %H:%M"),
                        "officer": recording.officer,
                    },
                    link,
                ):
                    sent += 1
    return sent


@transaction.atomic
def mark_read(notification: Notification, *, actor) -> Notification:
    if notification.recipient_id != actor.pk:
        raise KluisError(_("This is not your notification."), status=404, code="not-found")
    if notification.read_at is None:
        notification.read_at = now()
        notification.save(update_fields=["read_at"])
    return notification
