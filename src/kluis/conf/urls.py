"""URL map. Every view states who may use it; anything not listed here does not exist."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from kluis.core.views import health

admin.site.site_header = "Kluis"
admin.site.site_title = "Kluis"
admin.site.index_title = "Beheer"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health, name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include("kluis.devices.api.urls")),
    path("api/v1/", include("kluis.recordings.api.urls")),
    path("api/v1/", include("kluis.custody.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("retention/", include("kluis.retention.urls")),
    path("reports/", include("kluis.reports.urls")),
    path("viewing/", include("kluis.viewing.urls")),
    path("", include("kluis.web.urls")),
]
