"""Shapes of the ingest API (docs/api-camera.md sections 4 and 5)."""

from rest_framework import serializers


class UploadCreateSerializer(serializers.Serializer):
    recording_id = serializers.UUIDField()
    size = serializers.IntegerField(min_value=1)
    sha256 = serializers.RegexField(r"^[0-9a-f]{64}$")


class ReceiptSerializer(serializers.Serializer):
    recording_id = serializers.UUIDField()
    camera_id = serializers.UUIDField()
    organisation_id = serializers.UUIDField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    stored_at = serializers.CharField()
    signature = serializers.CharField()


class UploadStateSerializer(serializers.Serializer):
    upload_url = serializers.CharField(required=False)
    offset = serializers.IntegerField()
    size = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["receiving", "complete"])
    receipt = ReceiptSerializer(allow_null=True)
