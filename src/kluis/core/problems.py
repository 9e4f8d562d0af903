"""Errors as RFC 9457 problem responses.

Domain code raises KluisError subclasses with a message a person can act on; the API turns them
into `application/problem+json`, never a stack trace.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response


class KluisError(Exception):
    """An error with a clear message; `status` and `code` say how the API reports it."""

    status = 400
    code = "invalid"
    title = "Invalid request"

    def __init__(self, detail: str, *, code: str | None = None, status: int | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra


class NotAllowed(KluisError):
    status = 403
    code = "not-allowed"
    title = "Not allowed"


class NotFoundError(KluisError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(KluisError):
    status = 409
    code = "conflict"
    title = "Conflict"


def problem_document(status: int, title: str, detail: str, code: str, **extra) -> dict:
    """The RFC 9457 body; the one shape for DRF responses and the gate's JSON endpoints."""
    return {
        "type": f"https://kluis.example/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem(status: int, title: str, detail: str, code: str, **extra) -> Response:
    body = problem_document(status, title, detail, code, **extra)
    return Response(body, status=status, content_type="application/problem+json")


def exception_handler(exc, context):
    """DRF exception handler: every error leaves as a problem document.

    Its shape is `kluis.core.schema.ProblemSerializer`, which the OpenAPI schema documents.
    """
    # Imported here: rest_framework.views reads DEFAULT_PERMISSION_CLASSES, which is the gate,
    # which imports this module.
    from rest_framework.settings import api_settings
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, KluisError):
        return problem(exc.status, exc.title, exc.detail, exc.code, **exc.extra)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    detail = data.get("detail") if isinstance(data, dict) and "detail" in data else data
    code = getattr(getattr(exc, "detail", None), "code", None) or getattr(
        exc, "default_code", "error"
    )
    if isinstance(data, list):
        # A ValidationError raised outside a serializer: the request as a whole is wrong.
        data = {api_settings.NON_FIELD_ERRORS_KEY: data}
    extra = {} if isinstance(data, dict) and "detail" in data else {"errors": data}
    out = problem(
        response.status_code,
        str(getattr(exc, "default_detail", "Error")),
        str(detail) if not extra else "The request is not valid.",
        str(code),
        **extra,
    )
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in response:
            out[header] = response[header]
    return out
