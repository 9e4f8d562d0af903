from django.urls import path

from .views import CameraStatusView, EnrolView

app_name = "devices-api"

urlpatterns = [
    path("cameras/enrol/", EnrolView.as_view(), name="camera-enrol"),
    path("cameras/me/", CameraStatusView.as_view(), name="camera-me"),
]
