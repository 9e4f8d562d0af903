"""Pages of the incident reports: what is missing, the form, the filed report, notifications."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kluis.core.gate import staff_page
from kluis.core.permissions import can
from kluis.core.problems import NotAllowed
from kluis.recordings.models import Recording

from . import actions, terms
from .forms import IncidentReportForm
from .models import IncidentReport, Notification


def _recording(recording_id):
    return get_object_or_404(
        Recording.objects.select_related("organisation__policy", "camera", "assignment", "officer"),
        pk=recording_id,
        state=Recording.State.STORED,
    )


@staff_page
def missing(request):
    """Reports the officer still owes, and those the manager's officers owe (RPT-3)."""
    own = [
        (r, terms.due_at(r), terms.is_overdue(r)) for r in terms.missing_for_officer(request.user)
    ]
    team = [
        (r, terms.due_at(r), terms.is_overdue(r)) for r in terms.missing_for_manager(request.user)
    ]
    return TemplateResponse(request, "reports/missing.html", {"own": own, "team": team})


@staff_page
@require_http_methods(["GET", "POST"])
def file(request, recording_id):
    recording = _recording(recording_id)
    if not can(request.user, "reports.file", recording):
        raise NotAllowed(_("Only the officer who made the recording files its report."))
    if IncidentReport.objects.filter(recording=recording).exists():
        return redirect("reports:detail", recording.pk)
    policy = recording.organisation.policy
    form = IncidentReportForm(
        request.POST or None,
        initial={
            "warnings_given": policy.spoken_warnings,
            "colleagues_in_view": recording.includes_colleagues,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.file_report(recording, form.to_input(), actor=request.user)
        except actions.ReportInvalid as invalid:
            for field, message in invalid.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Report filed; your manager has been told."))
            return redirect("reports:detail", recording.pk)
    return TemplateResponse(
        request,
        "reports/form.html",
        {
            "form": form,
            "recording": recording,
            "policy": policy,
            "due": terms.due_at(recording),
            "overdue": terms.is_overdue(recording),
        },
        status=400 if form.errors else 200,
    )


@staff_page
def detail(request, recording_id):
    report = (
        IncidentReport.objects.select_related("recording__camera", "officer")
        .filter(recording_id=recording_id)
        .first()
    )
    if report is None or not can(request.user, "reports.read", report):
        raise Http404
    return TemplateResponse(
        request,
        "reports/detail.html",
        {"report": report, "statement": actions.bodycam_statement(report)},
    )


@staff_page
@require_http_methods(["GET", "POST"])
def notifications(request):
    if request.method == "POST":
        note_id = request.POST.get("id", "")
        if not note_id.isascii() or not note_id.isdigit():
            raise Http404
        note = get_object_or_404(Notification, pk=int(note_id), recipient=request.user)
        actions.mark_read(note, actor=request.user)
        return redirect(note.link or "reports:notifications")
    items = Notification.objects.filter(recipient=request.user)[:100]
    return TemplateResponse(request, "reports/notifications.html", {"items": items})
