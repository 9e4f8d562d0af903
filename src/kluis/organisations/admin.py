"""The admin for functional administrators (and the installation's operator).

Every admin list is scoped to the organisations where the person is a functional administrator
(ORG-1), and no admin page leads to footage (ORG-4): recordings appear nowhere here. Every write
goes through an action (kluis.custody.admin.ActionAdmin); a role that can see footage and every
reporting line become a request that a second person confirms in the staff app (ACC-1).
"""

from __future__ import annotations

import contextvars

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kluis.custody.admin import ActionAdmin
from kluis.custody.keys import signing_key
from kluis.custody.models import AuditEntry, Checkpoint

from . import actions
from .models import (
    FOOTAGE_ROLES,
    Membership,
    Municipality,
    Organisation,
    ReportingLine,
    Role,
    RoleRequest,
    Team,
    User,
)
from .permissions import organisation_ids, organisation_of
from .presets import PRESETS


def admin_organisation_ids(user):
    return organisation_ids(user, Role.FUNCTIONAL_ADMIN)


class OrganisationScopedAdmin(ActionAdmin):
    """Base: rows of the person's own organisations only; superusers see the installation."""

    organisation_field = "organisation"

    def audit_organisation(self, request, obj):
        return organisation_of(obj)

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

    def has_change_permission(self, request, obj=None):
        return self.routes_change() and self.has_module_permission(request)

    def has_add_permission(self, request, *args):
        return self.routes_add() and self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.routes_delete() and self.has_module_permission(request)

    def default_organisation(self, request):
        """The organisation an add form without an organisation field works in."""
        return Organisation.objects.filter(id__in=admin_organisation_ids(request.user)).first()

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
            orgs = admin_organisation_ids(request.user)
            field.queryset = field.queryset.filter(
                Q(memberships__organisation__in=orgs) | Q(onboarded_in__in=orgs)
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

    def add_through_action(self, request, obj, form):
        return actions.create_organisation(
            name=obj.name, slug=obj.slug, preset_key="alphen", actor=request.user
        )

    def get_fields(self, request, obj=None):
        return ["name", "slug"] + (["policy"] if obj else [])


@admin.register(Municipality)
class MunicipalityAdmin(OrganisationScopedAdmin):
    list_display = ["name", "code", "organisation"]

    def add_through_action(self, request, obj, form):
        return actions.add_municipality(
            obj.organisation, name=obj.name, code=obj.code, actor=request.user
        )


@admin.register(Team)
class TeamAdmin(OrganisationScopedAdmin):
    list_display = ["name", "organisation", "municipality"]

    def add_through_action(self, request, obj, form):
        return actions.add_team(
            obj.organisation, name=obj.name, municipality=obj.municipality, actor=request.user
        )


class RequestingAdmin(OrganisationScopedAdmin):
    """An add form whose result may be a request waiting for a second person, not the row."""

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "_requested", None) is not None:
            self.message_user(
                request,
                _(
                    "Requested. It takes effect once a second person confirms it in Kluis "
                    "(People, requests to confirm)."
                ),
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:organisations_rolerequest_changelist"))
        return super().response_add(request, obj, post_url_continue)

    def log_addition(self, request, obj, message):
        if obj.pk is not None:
            return super().log_addition(request, obj, message)
        return None


@admin.register(Membership)
class MembershipAdmin(RequestingAdmin):
    """A role that cannot see footage is granted at once (never to oneself); a footage role
    becomes a request (ACC-1). Ending a role is the list's action."""

    list_display = ["user", "role", "organisation", "team", "valid_from", "valid_until"]
    list_filter = ["role"]
    actions = ["end_roles"]

    def add_through_action(self, request, obj, form):
        if obj.role in FOOTAGE_ROLES:
            req = actions.request_role(
                obj.organisation,
                obj.user,
                obj.role,
                team=obj.team,
                valid_from=obj.valid_from,
                valid_until=obj.valid_until,
                actor=request.user,
            )
            obj._requested = req
            return req
        return actions.grant_role(
            obj.organisation,
            obj.user,
            obj.role,
            team=obj.team,
            valid_from=obj.valid_from,
            valid_until=obj.valid_until,
            actor=request.user,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if getattr(obj, "_requested", None) is not None:
            obj.pk = None  # the membership does not exist until the request is confirmed

    @admin.action(description=_("End the selected roles today"))
    def end_roles(self, request, queryset):
        for membership in queryset.select_related("organisation"):
            actions.end_role(membership, actor=request.user)
        self.message_user(request, _("Roles ended."), messages.SUCCESS)


@admin.register(ReportingLine)
class ReportingLineAdmin(RequestingAdmin):
    """Every reporting line opens an officer's footage to a manager: always a request."""

    list_display = ["officer", "manager", "kind", "valid_from", "valid_until"]

    def add_through_action(self, request, obj, form):
        req = actions.request_reporting_line(
            obj.organisation,
            officer=obj.officer,
            manager=obj.manager,
            kind=obj.kind,
            valid_from=obj.valid_from,
            valid_until=obj.valid_until,
            actor=request.user,
        )
        obj._requested = req
        return req

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        obj.pk = None


@admin.register(RoleRequest)
class RoleRequestAdmin(OrganisationScopedAdmin):
    """Requests and their outcome; confirming happens in the staff app, by a second person."""

    list_display = ["__str__", "kind", "state", "requested_by", "requested_at", "decided_by"]
    list_filter = ["state", "kind"]


_password_actor = contextvars.ContextVar("password_actor")


class PasswordResetForm(AdminPasswordChangeForm):
    """The admin's password form, saved through the audited action."""

    def save(self, commit=True):
        password = self.cleaned_data.get("password1")
        if self.cleaned_data.get("usable_password") == "false":
            password = None
        return actions.reset_password(self.user, password, actor=_password_actor.get())


#: Fields nobody changes in the admin: identity, login history, and Django's permission flags
#: (staff status follows the functional-administrator role, granted through the action).
LOCKED_PERSON_FIELDS = (
    "username",
    "last_login",
    "date_joined",
    "is_superuser",
    "is_staff",
    "groups",
    "user_permissions",
    "onboarded_in",
)


@admin.register(User)
class UserAdmin(ActionAdmin, DjangoUserAdmin):
    """People. A functional administrator sees the people of their own organisations and the
    people they onboarded there; every change goes through the people actions."""

    list_display = ["username", "first_name", "last_name", "email", "is_active"]
    change_password_form = PasswordResetForm

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        orgs = admin_organisation_ids(request.user)
        return qs.filter(
            Q(memberships__organisation__in=orgs) | Q(onboarded_in__in=orgs)
        ).distinct()

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return LOCKED_PERSON_FIELDS

    def get_fieldsets(self, request, obj=None):
        sets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return sets
        # Nobody but the operator sees Django's superuser or permission flags.
        hidden = {"is_superuser", "groups", "user_permissions", "is_staff"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in sets
        ]

    def audit_organisation(self, request, obj):
        return actions.person_organisation(obj, request.user)

    def add_through_action(self, request, obj, form):
        organisation = OrganisationScopedAdmin.default_organisation(self, request)
        if request.user.is_superuser and organisation is None:
            organisation = Organisation.objects.first()
        password = form.cleaned_data.get("password1")
        if form.cleaned_data.get("usable_password") == "false":
            password = None
        return actions.create_person(
            organisation, username=obj.username, password=password, actor=request.user
        )

    def change_through_action(self, request, obj, form):
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in actions.PERSON_FIELDS}
        # `obj` already carries the new values; the action compares with the stored row.
        return actions.update_person(User.objects.get(pk=obj.pk), actor=request.user, **changes)

    def user_change_password(self, request, id, form_url=""):
        token = _password_actor.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(token)

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


# The audit trail, read-only, for functional administrators scoped to their organisations
# (ORG-1), with the public key that verifies the checkpoints (AUD-2). It is registered here
# because the scoping is this app's; the trail (kluis.custody) sits below and knows no roles.
# Nothing can be added, changed or deleted here; the database would refuse it anyway.


class ReadOnlyScopedAdmin(OrganisationScopedAdmin):
    """No write is routed to an action (ActionAdmin refuses them): the trail is read-only."""

    def get_actions(self, request):
        return {}

    def changelist_view(self, request, extra_context=None):
        key = signing_key()
        extra_context = {
            **(extra_context or {}),
            "audit_key_id": key.key_id,
            "audit_public_key_pem": key.public_pem,
            "audit_public_key_b64": key.public_b64,
        }
        return super().changelist_view(request, extra_context)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyScopedAdmin):
    change_list_template = "admin/custody/auditentry/change_list.html"
    list_display = [
        "sequence",
        "at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "purpose",
        "short_hash",
    ]
    list_filter = ["action"]
    search_fields = ["action", "actor_label", "object_id", "recording_id", "entry_hash"]
    ordering = ["chain", "-sequence"]
    list_select_related = ["organisation"]
    readonly_fields = [
        "chain",
        "sequence",
        "at",
        "organisation",
        "actor",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "purpose",
        "details_json",
        "recording_id",
        "prev_hash",
        "entry_hash",
    ]
    fields = readonly_fields

    @admin.display(description=_("hash"))
    def short_hash(self, obj):
        return obj.entry_hash[:16] + "…"


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyScopedAdmin):
    change_list_template = "admin/custody/auditentry/change_list.html"
    list_display = ["chain", "sequence", "at", "key_id", "entry_hash"]
    readonly_fields = [
        "chain",
        "organisation",
        "sequence",
        "entry_hash",
        "at",
        "key_id",
        "signature",
    ]
    fields = readonly_fields
