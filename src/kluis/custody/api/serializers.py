"""Shapes of the audit trail's API (docs/audit.md)."""

from rest_framework import serializers


class PublicKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    key_id = serializers.CharField()
    public_key = serializers.CharField(help_text="base64 of the raw 32-byte Ed25519 public key")
    public_key_pem = serializers.CharField()
