"""Shapes of the camera API (docs/api-camera.md sections 1 and 3)."""

import base64
import binascii

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class RawKeyField(serializers.CharField):
    """Base64 of a raw 32-byte key."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(_("Not valid base64."))
        if len(raw) != 32:
            raise serializers.ValidationError(_("A raw Ed25519 public key has 32 bytes."))
        return raw


class EnrolRequestSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    serial = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    public_key = RawKeyField()


class EnrolResponseSerializer(serializers.Serializer):
    camera_id = serializers.UUIDField()
    organisation_id = serializers.UUIDField()
    organisation_public_key = serializers.CharField()
    receipt_public_key = serializers.CharField()
    pre_record_seconds = serializers.IntegerField()


class AssignmentSerializer(serializers.Serializer):
    officer_id = serializers.UUIDField()
    officer_name = serializers.CharField()
    shift_start = serializers.DateTimeField()
    shift_end = serializers.DateTimeField()


class CameraStatusSerializer(serializers.Serializer):
    camera_id = serializers.UUIDField()
    organisation_id = serializers.UUIDField()
    status = serializers.CharField()
    pre_record_seconds = serializers.IntegerField()
    assignment = AssignmentSerializer(allow_null=True)
