"""The retention staff API, mounted at /api/v1/retention/ (docs/retention.md, "Staff API")."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "retention-api"

router = SimpleRouter(use_regex_path=False)
router.register("recordings", views.RecordingRetentionViewSet, basename="recording")
router.register("holds", views.HoldViewSet, basename="hold")
router.register("decisions", views.DecisionViewSet, basename="decision")
router.register("mass-deletions", views.MassDeletionViewSet, basename="mass-deletion")

urlpatterns = [
    *router.urls,
    path("policy-preview/", views.PolicyPreviewView.as_view(), name="policy-preview"),
]
