"""The one base ModelAdmin: every admin write goes through an action and leaves an audit entry.

Django's admin saves and deletes by itself (`save_model`, `delete_model`, `save_formset`, the
bulk "delete selected" action), which would skip the actions and their audit trail. Like Open
Zaak's `AuditTrailAdminMixin`, `ActionAdmin` takes those over: a subclass says which action an
add, change or delete goes to (`add_through_action`, `change_through_action`,
`delete_through_action`), and the base appends an `admin.change` entry with the changed fields
in the same transaction as the action. A write a subclass does not route is refused: its
permission is False, so the admin shows the object read-only (deny by default).

`tests/core/test_admin_audit.py` walks every registered ModelAdmin and fails when a write it
allows leaves no audit entry.

The base lives with the audit trail, below every app, so each app's admin can build on it; the
read-only admin of the trail itself is scoped by organisation, so it is registered by
`kluis.organisations.admin`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect

from kluis.core.problems import KluisError

from .events import AuditEvent
from .log import record


class ActionAdmin(admin.ModelAdmin):
    """Base for every ModelAdmin in Kluis (STYLE.md: every write through an action)."""

    # --- what subclasses route ---------------------------------------------------------------

    def add_through_action(self, request, obj, form):
        """Create `obj` through its action and return the stored object."""
        raise NotImplementedError

    def change_through_action(self, request, obj, form):
        """Apply `form.changed_data` through the object's action."""
        raise NotImplementedError

    def delete_through_action(self, request, obj):
        """Delete (or end) `obj` through its action."""
        raise NotImplementedError

    def audit_organisation(self, request, obj):
        """The organisation whose trail gets the admin entry (None: the installation's).

        The object's own `organisation`; `OrganisationScopedAdmin` refines it (an organisation
        is its own)."""
        return getattr(obj, "organisation", None)

    def _routes(self, name: str) -> bool:
        return getattr(type(self), name) is not getattr(ActionAdmin, name)

    def routes_add(self) -> bool:
        return self._routes("add_through_action")

    def routes_change(self) -> bool:
        return self._routes("change_through_action")

    def routes_delete(self) -> bool:
        return self._routes("delete_through_action")

    # --- permissions: a write that is not routed does not exist ------------------------------

    def has_add_permission(self, request, *args):
        return self.routes_add() and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self.routes_change() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.routes_delete() and super().has_delete_permission(request, obj)

    # --- Django's writes, taken over ---------------------------------------------------------

    def _audit(self, request, obj, *, operation: str, fields=()) -> None:
        record(
            organisation=self.audit_organisation(request, obj),
            actor=request.user,
            action=AuditEvent.ADMIN_CHANGE,
            object_type=obj._meta.label_lower,
            object_id="" if obj.pk is None else str(obj.pk),
            details={
                "operation": operation,
                "model": obj._meta.label_lower,
                "object": str(obj)[:200],
                "fields": sorted(fields),
            },
        )

    def save_model(self, request, obj, form, change):
        if change and not self.routes_change() or not change and not self.routes_add():
            raise PermissionDenied
        with transaction.atomic():
            if change:
                stored = self.change_through_action(request, obj, form) or obj
            else:
                stored = self.add_through_action(request, obj, form) or obj
                if stored is not obj and stored.pk is not None:
                    obj.pk = stored.pk
            self._audit(
                request,
                stored,
                operation="change" if change else "add",
                fields=form.changed_data,
            )

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields and inlines would be written behind the action's back.
        if any(f.has_changed() for f in formsets):
            raise PermissionDenied
        for name in form.changed_data:
            if name in {f.name for f in self.model._meta.many_to_many}:
                raise PermissionDenied

    def save_formset(self, request, form, formset, change):
        if formset.has_changed():
            raise PermissionDenied

    def delete_model(self, request, obj):
        if not self.routes_delete():
            raise PermissionDenied
        with transaction.atomic():
            self._audit(request, obj, operation="delete")
            self.delete_through_action(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """An action's refusal (KluisError) is a message on the form, not a server error."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except KluisError as error:
            self.message_user(request, error.detail, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def response_action(self, request, queryset):
        try:
            with transaction.atomic():
                return super().response_action(request, queryset)
        except KluisError as error:
            self.message_user(request, error.detail, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
