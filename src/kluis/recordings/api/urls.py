from django.urls import path

from .views import UploadDetailView, UploadListView

app_name = "recordings-api"

urlpatterns = [
    path("ingest/uploads/", UploadListView.as_view(), name="ingest-uploads"),
    path("ingest/uploads/<uuid:recording_id>/", UploadDetailView.as_view(), name="ingest-upload"),
]
