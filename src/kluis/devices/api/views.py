"""Camera endpoints: enrolment (by code) and the camera's own status (signed)."""

from __future__ import annotations

import base64

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kluis.core.clock import now

from .. import actions
from ..auth import CameraSignatureAuthentication, IsCamera
from ..keys import receipt_public_key
from .serializers import CameraStatusSerializer, EnrolRequestSerializer, EnrolResponseSerializer


def _b64(raw: bytes) -> str:
    return base64.b64encode(bytes(raw)).decode()


class EnrolView(APIView):
    """A camera enrols its own public key with a one-time code (ORG-5)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=EnrolRequestSerializer, responses={201: EnrolResponseSerializer}, auth=[]
    )
    def post(self, request):
        data = EnrolRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        camera = actions.enrol_camera(**data.validated_data)
        org = camera.organisation
        key = actions.ensure_organisation_key(org)
        body = {
            "camera_id": str(camera.pk),
            "organisation_id": str(org.pk),
            "organisation_public_key": _b64(key.public_key),
            "receipt_public_key": _b64(receipt_public_key()),
            "pre_record_seconds": org.policy.pre_record_seconds,
        }
        return Response(body, status=201)


class CameraStatusView(APIView):
    """The camera asks who it is, its policy's pre-record length and who wears it now."""

    authentication_classes = [CameraSignatureAuthentication]
    permission_classes = [IsCamera]

    @extend_schema(responses={200: CameraStatusSerializer})
    def get(self, request):
        camera = request.user.camera
        assignment = actions.assignment_at(camera, now())
        return Response(
            {
                "camera_id": str(camera.pk),
                "organisation_id": str(camera.organisation_id),
                "status": camera.status,
                "pre_record_seconds": camera.organisation.policy.pre_record_seconds,
                "assignment": {
                    "officer_id": str(assignment.officer_id),
                    "officer_name": assignment.officer.get_full_name()
                    or assignment.officer.get_username(),
                    "shift_start": assignment.shift_start.isoformat(),
                    "shift_end": assignment.shift_end.isoformat(),
                }
                if assignment
                else None,
            }
        )
