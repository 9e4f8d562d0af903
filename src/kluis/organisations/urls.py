from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("requests/", views.requests, name="requests"),
    path("requests/<int:pk>/", views.decide, name="decide"),
]
