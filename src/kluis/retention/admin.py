"""Read-only admin lists of holds, deletions and brake requests for functional administrators.

Nothing here changes state (changes go through the actions and the staff API) and nothing leads
to footage (ORG-4); lists are scoped to the person's own organisations (ORG-1).
"""

from __future__ import annotations

from django.contrib import admin

from kluis.organisations.admin import OrganisationScopedAdmin

from .models import Deletion, Hold, MassDeletionRequest


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
