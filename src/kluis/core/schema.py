"""The OpenAPI schema's share of the problem responses (RFC 9457, kluis.core.problems).

Every error of the API leaves through one handler (`kluis.core.problems.exception_handler`) as
an `application/problem+json` document. `AutoSchema` (the project's DEFAULT_SCHEMA_CLASS)
documents the problems an operation can answer from what the view is, so no view can forget
them: 400 where a body is read, 401 where an authentication asks for credentials, 403 behind a
permission, 404 where the path names an object. A view documents any further problem (a 409,
a 413) in its own `extend_schema(responses=...)` with `problem(...)`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemSerializer(serializers.Serializer):
    """The problem document `kluis.core.problems.problem_document` builds."""

    type = serializers.CharField(help_text="A URI naming the kind of problem.")
    title = serializers.CharField(help_text="A short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong and what to do about it.")
    code = serializers.CharField(help_text="The problem's short name, stable for programs.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For an invalid request: the messages per field (`non_field_errors` for the "
        "request as a whole).",
    )
    offset = serializers.IntegerField(
        required=False, help_text="For an upload's problem: the offset to continue from."
    )


#: The statuses every operation may answer, when they apply (see `AutoSchema.problem_statuses`).
GENERIC = {
    400: _("The request is not valid; `errors` names the fields."),
    401: _("The credentials are missing or not valid."),
    403: _("Not allowed: not logged in (password and code), or without the role this needs."),
    404: _("No such object, or one of another organisation."),
}


def problem(description: str) -> OpenApiResponse:
    """A problem response for `extend_schema(responses={409: problem(_("..."))})`."""
    return OpenApiResponse(ProblemSerializer, description=description)


def _is_problem(serializer) -> bool:
    if isinstance(serializer, OpenApiResponse):
        serializer = serializer.response
    return serializer is ProblemSerializer or isinstance(serializer, ProblemSerializer)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the problem responses each operation can answer."""

    def problem_statuses(self) -> list[int]:
        statuses = []
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            statuses.append(400)
        if any(
            type(auth).authenticate_header is not BaseAuthentication.authenticate_header
            for auth in self.view.get_authenticators()
        ):
            statuses.append(401)
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            statuses.append(403)
        if "{" in self.path:
            statuses.append(404)
        return statuses

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self.problem_statuses():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    problem(GENERIC[status]), str(status), direction=direction
                )
        return dict(sorted(responses.items()))

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        if _is_problem(serializer):
            media_types = [PROBLEM_MEDIA_TYPE]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)
