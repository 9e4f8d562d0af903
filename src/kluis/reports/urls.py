from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.missing, name="missing"),
    path("new/<uuid:recording_id>/", views.file, name="file"),
    path("<uuid:recording_id>/", views.detail, name="detail"),
    path("notifications/", views.notifications, name="notifications"),
]
