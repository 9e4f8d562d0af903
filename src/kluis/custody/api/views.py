"""The audit trail's HTTP surface: the public key anyone may fetch, and custody reports."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kluis.core.gate import staff_page
from kluis.core.permissions import can

from .. import actions
from ..keys import signing_key
from ..report import render_html, render_pdf
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


def _recording(recording_id):
    """The recording, looked up lazily: the recordings app may not be installed."""
    try:
        model = apps.get_model("recordings", "Recording")
    except LookupError:
        raise Http404("recordings are not available")
    try:
        return model.objects.select_related("organisation").get(pk=recording_id)
    except (model.DoesNotExist, ValidationError, ValueError):
        raise Http404("no such recording")


def _report(request, recording_id, fmt):
    recording = _recording(recording_id)
    if not can(request.user, "custody.view_report", recording):
        if not can(request.user, "organisations.view", recording):
            raise Http404("no such recording")  # another organisation's: not even its existence
        raise PermissionDenied
    return actions.print_custody_report(recording, actor=request.user, fmt=fmt)


@staff_page
@require_GET
def custody_report_html(request, recording_id):
    return HttpResponse(render_html(_report(request, recording_id, "html")))


@staff_page
@require_GET
def custody_report_pdf(request, recording_id):
    report = _report(request, recording_id, "pdf")
    out = HttpResponse(render_pdf(report), content_type="application/pdf")
    out["Content-Disposition"] = f'inline; filename="custody-{report.recording_id}.pdf"'
    return out
