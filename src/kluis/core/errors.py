"""Kluis's own error pages (400, 403, 404, 500) and problem responses for the API.

Django's defaults are English and, with DEBUG, show source and settings. These handlers answer a
person with a Dutch-first page and a program (the API, the player's JSON endpoints) with an
RFC 9457 problem document; neither ever shows a stack trace.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from kluis.core.problems import problem_document


def wants_problem(request) -> bool:
    """API paths and callers that send or ask for JSON get a problem document, not a page."""
    if request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    content_type = request.headers.get("Content-Type", "")
    return "json" in content_type or ("json" in accept and "text/html" not in accept)


def problem_response(status: int, title: str, detail: str, code: str, **extra) -> JsonResponse:
    """A problem document outside DRF (middleware, error handlers), shaped as DRF's are."""
    body = problem_document(status, title, detail, code, **extra)
    response = JsonResponse(body, status=status, content_type="application/problem+json")
    response["Cache-Control"] = "no-store"
    return response


def _texts(status: int) -> tuple[str, str, str]:
    if status == 400:
        return (
            _("Bad request"),
            _("The request could not be understood. Check what you entered and try again."),
            "bad-request",
        )
    if status == 403:
        return (
            _("Not allowed"),
            _("You may not open this page. Ask your manager if you think you should."),
            "not-allowed",
        )
    if status == 404:
        return (
            _("Page not found"),
            _("This page does not exist (any more). Check the address or go back to the start."),
            "not-found",
        )
    return (
        _("Something went wrong"),
        _("Kluis could not handle this request. Nothing was changed; try again later."),
        "server-error",
    )


def _respond(request, status: int, template: str) -> HttpResponse:
    title, detail, code = _texts(status)
    if wants_problem(request):
        return problem_response(status, title, detail, code)
    context = {"status": status, "title": title, "detail": detail}
    if status == 500:
        # No request context: whatever broke (the database, a context processor) stays out.
        body = loader.get_template(template).render(context)
    else:
        body = loader.render_to_string(template, context, request)
    response = HttpResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None):
    return _respond(request, 400, "core/http_error.html")


def permission_denied(request, exception=None):
    return _respond(request, 403, "core/http_error.html")


def page_not_found(request, exception=None):
    return _respond(request, 404, "core/http_error.html")


def server_error(request):
    return _respond(request, 500, "core/http_500.html")
