"""URL map. Every view states who may use it; anything not listed here does not exist."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse
from django.utils.translation import gettext as _
from django_otp.admin import OTPAdminSite
from drf_spectacular.views import SpectacularAPIView

from kluis.core.gate import error_page, is_verified
from kluis.core.problems import NotAllowed
from kluis.core.views import health

admin.site.site_header = "Kluis"
admin.site.site_title = "Kluis"
admin.site.index_title = "Beheer"
# The admin asks for the same second factor as the staff pages: only a TOTP-verified session gets
# in, and its login page is the staff login (password and code), never a password alone.
admin.site.__class__ = OTPAdminSite


def _admin_login(request, extra_context=None):
    # A person who already passed password and code but is no administrator would be sent to
    # the staff login, which sends a verified person straight back here: a redirect loop. They
    # get a 403 page instead; everyone else logs in at the staff login.
    if is_verified(request.user):
        return error_page(
            request, NotAllowed(_("The admin is for functional administrators and the operator."))
        )
    return redirect_to_login(
        request.GET.get("next") or reverse("admin:index"), reverse("staff:login")
    )


admin.site.login = _admin_login

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health, name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include("kluis.devices.api.urls")),
    path("api/v1/", include("kluis.recordings.api.urls")),
    path("api/v1/", include("kluis.custody.api.urls")),
    path("api/v1/retention/", include("kluis.retention.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("people/", include("kluis.organisations.urls")),
    path("reports/", include("kluis.reports.urls")),
    path("recordings/assign/", include("kluis.recordings.urls")),
    path("viewing/", include("kluis.viewing.urls")),
    path("", include("kluis.staff.urls")),
]

# Our own Dutch-first error pages; API paths get RFC 9457 problem documents (kluis.core.errors).
handler400 = "kluis.core.errors.bad_request"
handler403 = "kluis.core.errors.permission_denied"
handler404 = "kluis.core.errors.page_not_found"
handler500 = "kluis.core.errors.server_error"
