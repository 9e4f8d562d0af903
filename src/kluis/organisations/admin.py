"""The admin for functional administrators (and the installation's operator).

Every admin list is scoped to the organisations where the person is a functional administrator
(ORG-1), and no admin page leads to footage (ORG-4): recordings appear nowhere here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import actions
from .models import Membership, Municipality, Organisation, Policy, ReportingLine, Role, Team, User
from .permissions import organisation_ids
from .presets import PRESETS


def admin_organisation_ids(user):
    return organisation_ids(user, Role.FUNCTIONAL_ADMIN)


class OrganisationScopedAdmin(admin.ModelAdmin):
    """Base: rows of the person's own organisations only; superusers see the installation."""

    organisation_field = "organisation"

    def _scope(self, request, qs, field=None):
        if request.user.is_superuser:
            return qs
        return qs.filter(
            **{f"{field or self.organisation_field}__in": admin_organisation_ids(request.user)}
        )

    def get_queryset(self, request):
        return self._scope(request, super().get_queryset(request))

    def _is_admin(self, request):
        return (
            request.user.is_superuser
            or Membership.objects.active()
            .filter(user=request.user, role=Role.FUNCTIONAL_ADMIN)
            .exists()
        )

    def has_module_permission(self, request):
        return request.user.is_active and self._is_admin(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_change_permission = has_view_permission
    has_add_permission = has_module_permission

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        model = db_field.related_model
        if request.user.is_superuser or field is None:
            return field
        if model is Organisation:
            field.queryset = field.queryset.filter(id__in=admin_organisation_ids(request.user))
        elif any(f.name == "organisation" for f in model._meta.fields):
            field.queryset = field.queryset.filter(
                organisation__in=admin_organisation_ids(request.user)
            )
        elif model is User:
            field.queryset = field.queryset.filter(
                memberships__organisation__in=admin_organisation_ids(request.user)
            ).distinct()
        return field


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_field = "id"
    list_display = ["name", "slug", "policy"]
    readonly_fields = ["policy"]
    actions = ["apply_preset_" + key.replace("-", "_") for key in PRESETS]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def get_actions(self, request):
        found = super().get_actions(request)
        for key, values in PRESETS.items():
            name = "apply_preset_" + key.replace("-", "_")

            def apply(modeladmin, req, queryset, key=key):
                for org in queryset:
                    actions.apply_preset(org, key, actor=req.user)
                modeladmin.message_user(req, _("Preset applied."), messages.SUCCESS)

            found[name] = (apply, name, _("Apply preset: %(name)s") % {"name": values["name"]})
        return found

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            created = actions.create_organisation(
                name=obj.name, slug=obj.slug, preset_key="alphen", actor=request.user
            )
            obj.pk = created.pk

    def get_fields(self, request, obj=None):
        return ["name", "slug"] + (["policy"] if obj else [])


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
        fields = ["name", *Policy.SETTING_FIELDS]

    def clean(self):
        cleaned = super().clean()
        days = cleaned.get("retention_days")
        if self.instance.pk and days and days < self.instance.retention_days:
            from kluis.retention.terms import preview_retention_change

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
    readonly_fields = ["preset_key", "source"]

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

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        org = Organisation.objects.get(policy=obj)
        actions.update_policy(
            org,
            actor=None if request.user.is_superuser else request.user,
            reason="admin",
            confirm_due=form.cleaned_data.get("confirm_due"),
            **{f: form.cleaned_data[f] for f in form.changed_data if f in Policy.SETTING_FIELDS},
        )


@admin.register(Municipality)
class MunicipalityAdmin(OrganisationScopedAdmin):
    list_display = ["name", "code", "organisation"]


@admin.register(Team)
class TeamAdmin(OrganisationScopedAdmin):
    list_display = ["name", "organisation", "municipality"]


@admin.register(Membership)
class MembershipAdmin(OrganisationScopedAdmin):
    list_display = ["user", "role", "organisation", "team", "valid_from", "valid_until"]
    list_filter = ["role"]


@admin.register(ReportingLine)
class ReportingLineAdmin(OrganisationScopedAdmin):
    list_display = ["officer", "manager", "kind", "valid_from", "valid_until"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People. A functional administrator sees the people of their own organisations only."""

    list_display = ["username", "first_name", "last_name", "email", "is_active"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(
            memberships__organisation__in=admin_organisation_ids(request.user)
        ).distinct()

    def get_fieldsets(self, request, obj=None):
        sets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return sets
        # Nobody but the operator hands out Django's superuser or permission flags.
        return [
            (
                name,
                {
                    **opts,
                    "fields": [
                        f
                        for f in opts["fields"]
                        if f not in {"is_superuser", "groups", "user_permissions", "is_staff"}
                    ],
                },
            )
            for name, opts in sets
        ]

    _is_admin = OrganisationScopedAdmin._is_admin

    def has_module_permission(self, request):
        return request.user.is_active and self._is_admin(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False
