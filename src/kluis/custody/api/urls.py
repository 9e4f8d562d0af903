from django.urls import path

from . import views

app_name = "custody-api"

urlpatterns = [
    path("audit/public-key", views.PublicKeyView.as_view(), name="audit-public-key"),
]
