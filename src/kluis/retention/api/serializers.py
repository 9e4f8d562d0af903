"""Shapes of the retention staff API (docs/retention.md, "Staff API")."""

from __future__ import annotations

import datetime as dt

from django.db import models
from rest_framework import serializers

from ..models import Deletion, DeletionDecision, EarlyDeletion, Hold, MassDeletionRequest

#: Free text a person types (a reason, an advice); the audit trail keeps at most 10,000 characters.
TEXT_MAX_LENGTH = 4000


class UTCDateTimeField(serializers.DateTimeField):
    """Moments in UTC (`...Z`), as the camera API gives them, not in the site's time zone."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(**kwargs)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }


class HoldSerializer(ModelSerializer):
    class Meta:
        model = Hold
        fields = ["id", "recording", "reason", "case_reference", "placed_at", "released_at"]
        read_only_fields = fields


class DecisionSerializer(ModelSerializer):
    class Meta:
        model = DeletionDecision
        fields = [
            "id",
            "recording",
            "kind",
            "state",
            "officer_approved_at",
            "manager_approved_at",
            "privacy_advice",
        ]
        read_only_fields = fields


class MassDeletionSerializer(ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    admin_confirmed = serializers.SerializerMethodField()
    manager_confirmed = serializers.SerializerMethodField()

    class Meta:
        model = MassDeletionRequest
        fields = [
            "id",
            "organisation",
            "due_count",
            "threshold",
            "median_daily",
            "state",
            "admin_confirmed",
            "manager_confirmed",
            "created_at",
        ]
        read_only_fields = fields

    def get_admin_confirmed(self, obj) -> bool:
        return obj.admin_confirmed_by_id is not None

    def get_manager_confirmed(self, obj) -> bool:
        return obj.manager_confirmed_by_id is not None


class RetentionStatusSerializer(serializers.Serializer):
    """One recording's retention (`kluis.retention.terms.status`): metadata only."""

    recording = serializers.UUIDField()
    term_end = UTCDateTimeField()
    early_deletion_from = UTCDateTimeField(allow_null=True)
    early_deletion_grounds = serializers.ChoiceField(
        choices=EarlyDeletion.Grounds.choices,
        allow_blank=True,
        help_text="Empty while the recording has no grounds for early deletion.",
    )
    deletion_due = UTCDateTimeField(
        allow_null=True, help_text="Null while a hold keeps the recording, or once it is gone."
    )
    deletion_state = serializers.ChoiceField(
        choices=Deletion.State.choices,
        allow_blank=True,
        help_text="Empty until the purge starts deleting the recording.",
    )
    holds = HoldSerializer(source="active_holds", many=True)


class PolicyPreviewSerializer(serializers.Serializer):
    organisation = serializers.SlugField(source="organisation.slug")
    old_days = serializers.IntegerField()
    new_days = serializers.IntegerField()
    newly_due = serializers.IntegerField(
        help_text="Stored recordings the new period makes due at once, without a hold."
    )
    newly_past_term_held = serializers.IntegerField(
        help_text="Recordings past the new term that a hold keeps anyway."
    )


# Requests


class PlaceHoldSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Hold.Reason.choices)
    case_reference = serializers.CharField(max_length=120)
    note = serializers.CharField(max_length=500, required=False, default="")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, default="")


class ProposeDecisionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DeletionDecision.Kind.choices)
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, default="")


class AdviceSerializer(serializers.Serializer):
    advice = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    privacy_officer = serializers.UUIDField(
        required=False, help_text="The privacy officer whose advice a manager records."
    )


class PolicyPreviewRequestSerializer(serializers.Serializer):
    organisation = serializers.SlugField()
    retention_days = serializers.IntegerField(min_value=1, max_value=3650)
