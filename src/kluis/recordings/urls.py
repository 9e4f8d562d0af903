from django.urls import path

from . import views

app_name = "recordings"

urlpatterns = [
    path("<uuid:recording_id>/", views.assign_officer, name="assign-officer"),
]
