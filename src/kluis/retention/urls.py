from django.urls import path

from . import api

urlpatterns = [
    path(
        "api/recordings/<uuid:pk>/",
        api.RecordingRetentionView.as_view(),
        name="retention-recording",
    ),
    path("api/recordings/<uuid:pk>/holds/", api.HoldsView.as_view(), name="retention-holds"),
    path("api/holds/<int:pk>/release/", api.ReleaseHoldView.as_view(), name="retention-release"),
    path(
        "api/recordings/<uuid:pk>/decisions/",
        api.DecisionsView.as_view(),
        name="retention-decisions",
    ),
    path(
        "api/decisions/<int:pk>/approve/",
        api.ApproveDecisionView.as_view(),
        name="retention-approve",
    ),
    path(
        "api/decisions/<int:pk>/refuse/", api.RefuseDecisionView.as_view(), name="retention-refuse"
    ),
    path("api/decisions/<int:pk>/advice/", api.AdviceView.as_view(), name="retention-advice"),
    path("api/mass-deletions/", api.MassDeletionsView.as_view(), name="retention-mass-deletions"),
    path(
        "api/mass-deletions/<int:pk>/confirm/",
        api.ConfirmMassDeletionView.as_view(),
        name="retention-mass-deletion-confirm",
    ),
    path("api/policy-preview/", api.PolicyPreviewView.as_view(), name="retention-policy-preview"),
]
