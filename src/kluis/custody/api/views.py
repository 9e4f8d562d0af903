"""The audit trail's HTTP surface: the public key anyone may fetch.

A recording's custody report is printed by `kluis.recordings.views` (`actions.print_custody_report`
here writes it): finding the recording and asking who may read it belong above the trail.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..keys import signing_key
from .serializers import PublicKeySerializer


class PublicKeyView(APIView):
    """GET the Ed25519 public key that signs the audit checkpoints. Public: anyone may verify."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = PublicKeySerializer

    @extend_schema(
        responses=PublicKeySerializer, auth=[], summary="The key that signs the checkpoints"
    )
    def get(self, request):
        key = signing_key()
        return Response(
            {
                "algorithm": "Ed25519",
                "key_id": key.key_id,
                "public_key": key.public_b64,
                "public_key_pem": key.public_pem,
            }
        )
