from django.urls import path

from .. import views as pages
from .views import UploadDetailView, UploadListView

app_name = "recordings-api"

urlpatterns = [
    path("ingest/uploads/", UploadListView.as_view(), name="ingest-uploads"),
    path("ingest/uploads/<uuid:recording_id>/", UploadDetailView.as_view(), name="ingest-upload"),
    # A recording's chain of custody (staff pages, kept at the audit trail's old paths).
    path(
        "audit/recordings/<str:recording_id>/custody-report",
        pages.custody_report_html,
        name="custody-report",
    ),
    path(
        "audit/recordings/<str:recording_id>/custody-report.pdf",
        pages.custody_report_pdf,
        name="custody-report-pdf",
    ),
]
