"""Hosts, security headers, cookies, HTTPS in production, request size limits and the CSP.

Production (KLUIS_ENVIRONMENT=production) turns on every secure default that
`manage.py check --deploy` asks for.
"""

from __future__ import annotations

from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from .base import PRODUCTION, env, env_bool, env_list

# Django's debug page shows settings and source to whoever triggers an error: only on request.
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("KLUIS_ALLOWED_HOSTS must name the host names Kluis serves.")

# Security headers everywhere; HTTPS-only settings in production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A staff session lasts one working day at most.
SESSION_COOKIE_AGE = 8 * 3600
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Kluis runs behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Every request body is small unless its view says otherwise (kluis.core.middleware.large_body:
# only the camera's signed upload PATCH); a larger Content-Length is refused with 413 unread.
REQUEST_MAX_BYTES = int(env("REQUEST_MAX_BYTES", str(1024**2)))
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# Content-Security-Policy (django-csp): scripts and styles only from our own static files.
# One exception to "no inline": the custody report keeps its styles in the page, because the
# same template is rendered to PDF by WeasyPrint, which loads no static files; a per-response
# nonce admits that one <style> block and nothing else.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
