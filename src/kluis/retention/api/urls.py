"""The retention staff API, mounted at /api/v1/retention/ (docs/retention.md, "Staff API")."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(use_regex_path=False)
router.register("recordings", views.RecordingRetentionViewSet, basename="retention-recording")
router.register("holds", views.HoldViewSet, basename="retention-hold")
router.register("decisions", views.DecisionViewSet, basename="retention-decision")
router.register("mass-deletions", views.MassDeletionViewSet, basename="retention-mass-deletion")

urlpatterns = [
    *router.urls,
    path("policy-preview/", views.PolicyPreviewView.as_view(), name="retention-policy-preview"),
]
