from django.urls import path

from . import views

app_name = "viewing"

urlpatterns = [
    path("", views.my_sessions, name="mine"),
    path("start/<uuid:recording_id>/", views.start, name="start"),
    path("<uuid:session_id>/", views.session_page, name="session"),
    path("<uuid:session_id>/confirm/", views.confirm, name="confirm"),
    path("<uuid:session_id>/cosign/", views.cosign, name="cosign"),
    path("<uuid:session_id>/invite/", views.invite, name="invite"),
    path("<uuid:session_id>/end/", views.end, name="end"),
    path("<uuid:session_id>/breach/", views.breach, name="breach"),
    path("<uuid:session_id>/watch/", views.watch, name="watch"),
    path("<uuid:session_id>/stream", views.stream, name="stream"),
    path("<uuid:session_id>/events", views.events, name="events"),
    path("<uuid:session_id>/status", views.status, name="status"),
]
