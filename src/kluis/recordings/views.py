"""The page where a team's manager names the officer of a recording that has none."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from kluis.core.gate import staff_page
from kluis.core.permissions import require
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
