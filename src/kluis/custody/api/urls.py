from django.urls import path

from . import views

app_name = "custody-api"

urlpatterns = [
    path("audit/public-key", views.PublicKeyView.as_view(), name="audit-public-key"),
    path(
        "audit/recordings/<str:recording_id>/custody-report",
        views.custody_report_html,
        name="custody-report",
    ),
    path(
        "audit/recordings/<str:recording_id>/custody-report.pdf",
        views.custody_report_pdf,
        name="custody-report-pdf",
    ),
]
