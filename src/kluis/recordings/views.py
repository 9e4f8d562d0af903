"""The pages of one recording: naming its officer, and printing its chain of custody.

The custody report is the audit trail's (`kluis.custody.actions.print_custody_report` appends its
entry and builds it); this app finds the recording and the trail sits below it (docs/developer.md,
"Layers"), so the pages are here, at their old paths under /api/v1/audit/.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from kluis.core.gate import staff_page
from kluis.core.permissions import can, require
from kluis.custody import actions as custody
from kluis.custody.report import render_html, render_pdf
from kluis.organisations.models import Membership, Role

from . import actions
from .models import Recording


class AssignOfficerForm(forms.Form):
    officer = forms.ModelChoiceField(queryset=None, label=_("Officer"))

    def __init__(self, *args, recording, actor, **kw):
        super().__init__(*args, **kw)
        ids = (
            Membership.objects.active()
            .filter(organisation_id=recording.organisation_id, role=Role.OFFICER)
            .values("user_id")
        )
        self.fields["officer"].queryset = (
            get_user_model().objects.filter(pk__in=ids, is_active=True).exclude(pk=actor.pk)
        )


@staff_page
def assign_officer(request, recording_id):
    recording = get_object_or_404(
        Recording.objects.select_related("camera", "team"),
        pk=recording_id,
        state=Recording.State.STORED,
    )
    require(request.user, "recordings.assign_officer", recording)
    form = AssignOfficerForm(request.POST or None, recording=recording, actor=request.user)
    if request.method == "POST" and form.is_valid():
        actions.assign_officer(request.user, recording, form.cleaned_data["officer"])
        return redirect("staff:home")
    return render(request, "recordings/assign_officer.html", {"recording": recording, "form": form})


def _custody_report(request, recording_id, fmt):
    try:
        recording = Recording.objects.select_related("organisation").get(pk=recording_id)
    except (Recording.DoesNotExist, ValidationError, ValueError):
        raise Http404("no such recording")
    if not can(request.user, "custody.view_report", recording):
        if not can(request.user, "organisations.view", recording):
            raise Http404("no such recording")  # another organisation's: not even its existence
        raise PermissionDenied
    return custody.print_custody_report(recording, actor=request.user, fmt=fmt)


@staff_page
@require_GET
def custody_report_html(request, recording_id):
    return HttpResponse(render_html(_custody_report(request, recording_id, "html")))


@staff_page
@require_GET
def custody_report_pdf(request, recording_id):
    report = _custody_report(request, recording_id, "pdf")
    out = HttpResponse(render_pdf(report), content_type="application/pdf")
    out["Content-Disposition"] = f'inline; filename="custody-{report.recording_id}.pdf"'
    return out
