"""Admin for functional administrators: cameras, enrolment codes, shifts (never footage).

Changes go through the actions (permission check + audit entry) via
kluis.custody.admin.ActionAdmin; the admin only offers them.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from kluis.organisations.admin import OrganisationScopedAdmin

from . import actions
from .models import Camera, CameraAssignment, EnrolmentCode


@admin.register(Camera)
class CameraAdmin(OrganisationScopedAdmin):
    list_display = ["serial", "label", "organisation", "team", "status", "enrolled_at"]
    list_filter = ["status", "team"]
    search_fields = ["serial", "label"]
    readonly_fields = ["status", "enrolled_at", "retired_at", "public_key"]
    actions = ["issue_code_for_team", "retire"]

    # No add or change routes: cameras arrive by enrolment (or the demo/setup commands), and
    # change only through the list's actions (ActionAdmin refuses unrouted writes).

    @admin.action(description=_("Issue an enrolment code for the team of the selected camera"))
    def issue_code_for_team(self, request, queryset):
        for camera in queryset.select_related("organisation", "team"):
            _entry, code = actions.issue_enrolment_code(
                camera.organisation, camera.team, actor=request.user
            )
            self.message_user(
                request,
                _("Enrolment code for %(team)s (shown once, single use): %(code)s")
                % {"team": camera.team, "code": code},
                messages.WARNING,
            )

    @admin.action(description=_("Retire the selected cameras (they can never deliver again)"))
    def retire(self, request, queryset):
        for camera in queryset:
            actions.retire_camera(camera, actor=request.user, reason="admin")
        self.message_user(request, _("Cameras retired."), messages.SUCCESS)


@admin.register(EnrolmentCode)
class EnrolmentCodeAdmin(OrganisationScopedAdmin):
    """Issuing a code is the add form: the code itself is shown once, then only its hash."""

    list_display = ["team", "issued_by", "issued_at", "expires_at", "used_at", "camera"]
    fields = ["organisation", "team"]

    def add_through_action(self, request, obj, form):
        entry, code = actions.issue_enrolment_code(obj.organisation, obj.team, actor=request.user)
        for name in ("pk", "code_sha256", "issued_at", "expires_at", "issued_by"):
            setattr(obj, name, getattr(entry, name))
        self.message_user(
            request,
            _("Enrolment code (shown once, single use, valid until %(until)s): %(code)s")
            % {"until": entry.expires_at, "code": code},
            messages.WARNING,
        )
        return entry


@admin.register(CameraAssignment)
class CameraAssignmentAdmin(OrganisationScopedAdmin):
    list_display = ["camera", "officer", "shift_start", "shift_end", "assigned_by"]
    fields = ["camera", "officer", "shift_start", "shift_end"]

    def add_through_action(self, request, obj, form):
        return actions.assign_camera(
            obj.camera,
            obj.officer,
            shift_start=obj.shift_start,
            shift_end=obj.shift_end,
            actor=request.user,
        )
