"""Read-only admin lists of holds, deletions and brake requests for functional administrators,
and the organisation's policy, whose retention period goes through the brake.

Nothing here changes state but through the actions (the policy through
`kluis.organisations.actions.update_policy`) and nothing leads to footage (ORG-4); lists are
scoped to the person's own organisations (ORG-1). The policy's admin lives here, not with the
organisations, because its form asks this app how many recordings a shorter period deletes.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kluis.organisations.actions import update_policy
from kluis.organisations.admin import OrganisationScopedAdmin, admin_organisation_ids
from kluis.organisations.models import Organisation, Policy

from .models import Deletion, Hold, MassDeletionRequest
from .terms import preview_retention_change


class ReadOnlyScopedAdmin(OrganisationScopedAdmin):
    """No write is routed to an action here, so ActionAdmin offers none (read-only)."""


@admin.register(Hold)
class HoldAdmin(ReadOnlyScopedAdmin):
    list_display = ["recording", "reason", "case_reference", "placed_at", "released_at"]
    list_filter = ["reason"]
    search_fields = ["case_reference"]


@admin.register(Deletion)
class DeletionAdmin(ReadOnlyScopedAdmin):
    list_display = ["recording", "state", "grounds", "started_at", "deleted_at"]
    list_filter = ["state", "grounds"]


@admin.register(MassDeletionRequest)
class MassDeletionRequestAdmin(ReadOnlyScopedAdmin):
    list_display = ["organisation", "due_count", "threshold", "state", "created_at"]
    list_filter = ["state"]


class PolicyForm(forms.ModelForm):
    """The policy with the brake: a shorter retention that makes recordings due at once must be
    confirmed by typing the number of recordings it deletes (RET-1; the Oakland case)."""

    confirm_due = forms.IntegerField(
        label=_("Confirm: number of recordings deleted at once"),
        required=False,
        min_value=0,
        help_text=_("Only asked when a shorter retention period makes recordings due at once."),
    )

    class Meta:
        model = Policy
        fields = list(Policy.SETTING_FIELDS)

    def clean(self):
        cleaned = super().clean()
        days = cleaned.get("retention_days")
        if self.instance.pk and days and days < self.instance.retention_days:
            org = Organisation.objects.get(policy=self.instance)
            due = preview_retention_change(org, days).newly_due
            if due and cleaned.get("confirm_due") != due:
                self.add_error(
                    "confirm_due",
                    _(
                        "This change makes %(count)d recordings due for deletion at once. Check "
                        "the number and type it here to go ahead."
                    )
                    % {"count": due},
                )
        return cleaned


@admin.register(Policy)
class PolicyAdmin(OrganisationScopedAdmin):
    form = PolicyForm
    list_display = ["name", "preset_key", "retention_days", "pre_record_seconds", "spoken_warnings"]

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        return qs.filter(
            Q(preset_key__isnull=False) | Q(organisation__in=admin_organisation_ids(request.user))
        )

    def has_change_permission(self, request, obj=None):
        # Presets are read-only reference data; an organisation's policy changes through its admin.
        if obj is not None and obj.is_preset:
            return False
        return super().has_change_permission(request, obj)

    readonly_fields = ["name", "preset_key", "source"]

    def audit_organisation(self, request, obj):
        return Organisation.objects.filter(policy=obj).first()

    def change_through_action(self, request, obj, form):
        org = Organisation.objects.get(policy=obj)
        return update_policy(
            org,
            actor=request.user,
            reason="admin",
            confirm_due=form.cleaned_data.get("confirm_due"),
            **{f: form.cleaned_data[f] for f in form.changed_data if f in Policy.SETTING_FIELDS},
        )
