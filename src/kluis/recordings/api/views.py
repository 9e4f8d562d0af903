"""Ingest endpoints for cameras: announce, query and PATCH a resumable upload (CAM-2).

PATCH bodies are never parsed by DRF: they are read from the WSGI stream in pieces and written
straight to the staging file, so a large upload takes constant memory.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from kluis.core.middleware import large_body
from kluis.core.parsers import SafeJSONParser
from kluis.core.problems import KluisError, NotFoundError
from kluis.core.schema import problem
from kluis.devices.auth import CameraSignatureAuthentication, IsCamera

from .. import actions, ingest
from ..models import Recording, Upload
from .serializers import UploadCreateSerializer, UploadStateSerializer


class OffsetOctetStreamParser(BaseParser):
    """Declares the PATCH media type; the view reads the stream itself and never calls this."""

    media_type = "application/offset+octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover
        raise KluisError("Upload bodies are streamed, not parsed.")


def _state(upload: Upload, *, with_url: bool = False) -> dict:
    receipt = None
    if upload.state == Upload.State.COMPLETE:
        receipt = Recording.objects.values_list("receipt", flat=True).get(pk=upload.pk)
        ingest.tidy(upload)
    body = {
        "offset": upload.offset,
        "size": upload.size,
        "state": upload.state,
        "receipt": receipt,
    }
    if with_url:
        body = {
            "upload_url": reverse(
                "recordings-api:ingest-upload", kwargs={"recording_id": upload.pk}
            ),
            **body,
        }
    return body


def _own_upload(request, recording_id) -> Upload:
    upload = (
        Upload.objects.select_related("camera", "organisation", "organisation__policy")
        .filter(pk=recording_id, camera=request.user.camera)
        .first()
    )
    if upload is None:
        # Another camera's upload looks exactly like a missing one (ORG-1).
        raise NotFoundError(_("No upload of this camera has this recording id."))
    return upload


class UploadListView(APIView):
    authentication_classes = [CameraSignatureAuthentication]
    permission_classes = [IsCamera]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        request=UploadCreateSerializer,
        responses={
            200: UploadStateSerializer,
            201: UploadStateSerializer,
            409: problem(
                gettext_lazy(
                    "The recording id is another camera's, or was announced with another size "
                    "or SHA-256, or another request is announcing it now."
                )
            ),
            413: problem(gettext_lazy("The recording is larger than this server accepts.")),
        },
        summary="Announce (or resume) the upload of one sealed recording",
    )
    def post(self, request):
        data = UploadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        size = data.validated_data["size"]
        if size > settings.UPLOAD_MAX_BYTES:
            raise KluisError(
                _("The recording is larger than this server accepts (%(max)d bytes).")
                % {"max": settings.UPLOAD_MAX_BYTES},
                code="upload-too-large",
                status=413,
            )
        upload, created = actions.start_upload(request.user.camera, **data.validated_data)
        return Response(_state(upload, with_url=True), status=201 if created else 200)


# Only this view takes large bodies, and only from a request with camera signature headers.
@large_body("UPLOAD_PATCH_MAX_BYTES", code="upload-patch-too-large")
class UploadDetailView(APIView):
    authentication_classes = [CameraSignatureAuthentication]
    permission_classes = [IsCamera]
    parser_classes = [OffsetOctetStreamParser]

    @extend_schema(responses={200: UploadStateSerializer}, summary="Where an upload stands")
    def get(self, request, recording_id):
        return Response(_state(_own_upload(request, recording_id)))

    @extend_schema(
        request={"application/offset+octet-stream": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter(
                "Upload-Offset",
                int,
                OpenApiParameter.HEADER,
                required=True,
                description="Where these bytes go: the upload's current offset.",
            )
        ],
        responses={
            200: UploadStateSerializer,
            409: problem(
                gettext_lazy("The upload is at another offset (`offset`), or busy: continue there.")
            ),
            413: problem(gettext_lazy("More bytes than one PATCH may carry.")),
            415: problem(gettext_lazy("Not sent as application/offset+octet-stream.")),
            422: problem(gettext_lazy("The recording is rejected (tampered or not valid).")),
            503: problem(gettext_lazy("The footage store is not available; retry later.")),
        },
        summary="Append bytes; the last piece verifies and stores the recording",
    )
    def patch(self, request, recording_id):
        upload = _own_upload(request, recording_id)
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip()
        if content_type != OffsetOctetStreamParser.media_type:
            raise KluisError(
                _("Send upload bytes as application/offset+octet-stream."),
                code="unsupported-media-type",
                status=415,
            )
        try:
            offset = int(request.META["HTTP_UPLOAD_OFFSET"])
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except (KeyError, ValueError):
            raise KluisError(
                _("PATCH needs an Upload-Offset header and a Content-Length."),
                code="upload-offset-missing",
            )
        if offset < 0 or length < 0:
            raise KluisError(_("Offsets and lengths are not negative."), code="upload-offset")
        upload = ingest.receive(
            upload,
            offset=offset,
            stream=request._request,
            length=length,
            body_sha256=request.user.body_sha256,
        )
        return Response(_state(upload))
