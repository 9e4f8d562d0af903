"""Read-only views of the audit trail for functional administrators, scoped to their
organisations (ORG-1), with the public key that verifies the checkpoints (AUD-2).

Nothing can be added, changed or deleted here; the database would refuse it anyway.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kluis.organisations.admin import OrganisationScopedAdmin

from .keys import signing_key
from .models import AuditEntry, Checkpoint


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
