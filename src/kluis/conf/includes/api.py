"""The REST API (Django REST framework) and its OpenAPI schema (drf-spectacular)."""

from __future__ import annotations

REST_FRAMEWORK = {
    # drf-spectacular's, plus the problem responses (RFC 9457) each operation can answer.
    "DEFAULT_SCHEMA_CLASS": "kluis.core.schema.AutoSchema",
    # The same gate as every staff page: a password and a verified TOTP device.
    "DEFAULT_PERMISSION_CLASSES": ["kluis.core.gate.IsVerifiedPerson"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    # Errors are problem responses (RFC 9457), never a stack trace.
    "EXCEPTION_HANDLER": "kluis.core.problems.exception_handler",
    "UNAUTHENTICATED_USER": None,
    # JSON nested too deeply is a 400 like any other malformed body (kluis.core.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "kluis.core.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kluis API",
    "DESCRIPTION": "Evidence management for municipal bodycams.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Operations are tagged by what follows the version: audit, cameras, ingest, retention.
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
}
