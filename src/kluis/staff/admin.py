"""The admin of the staff login's authenticators.

django-otp's own admins would let anyone edit or delete a device unaudited. The only write is the
audited reset (`actions.reset_authenticator`), offered on the list; the device rows themselves
are read-only. It is this app's because the reset is the staff login's action.
"""

from __future__ import annotations

# django-otp's admins register themselves when imported; import them first so they can be
# replaced whatever the order of INSTALLED_APPS.
import django_otp.plugins.otp_static.admin  # noqa: F401
import django_otp.plugins.otp_totp.admin  # noqa: F401
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from kluis.organisations.admin import OrganisationScopedAdmin

from .actions import reset_authenticator

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(OrganisationScopedAdmin):
    """Who has an authenticator; resetting one is audited and tells the person."""

    organisation_field = "user__memberships__organisation"
    list_display = ["user", "name", "confirmed"]
    fields = ["user", "name", "confirmed"]
    readonly_fields = fields
    actions = ["reset_authenticators"]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    @admin.action(description=_("Reset the authenticator of the selected people"))
    def reset_authenticators(self, request, queryset):
        for person in {device.user for device in queryset.select_related("user")}:
            reset_authenticator(request.user, person)
        self.message_user(request, _("Authenticators reset; the people were told."))
