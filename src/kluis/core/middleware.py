"""Request body limits and the response headers every page and endpoint carries.

Bodies: every request may carry at most REQUEST_MAX_BYTES, refused with 413 before a byte of
the body is read. Only a view marked with `large_body` accepts more, and only on a request that
carries a camera's signature headers; the view's own authentication then checks the signature
before it reads the body.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _

from kluis.core.errors import problem_response

CAMERA_SIGNATURE_HEADERS = ("HTTP_X_KLUIS_CAMERA", "HTTP_X_KLUIS_SIGNATURE")

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "screen-wake-lock",
        "xr-spatial-tracking",
    )
)


def large_body(setting: str, *, code: str = "body-too-large"):
    """Class decorator: this camera view accepts bodies up to `settings.<setting>` bytes.

    `code` names the problem a camera gets for a body over that limit.
    """

    def mark(view_class):
        view_class.kluis_body_limit = (setting, code)
        return view_class

    return mark


def body_limit(request, view_func) -> tuple[int, str]:
    """The most bytes this request may carry, and the problem code for more."""
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    marked = getattr(view_class, "kluis_body_limit", None)
    if marked and all(request.META.get(h) for h in CAMERA_SIGNATURE_HEADERS):
        setting, code = marked
        return getattr(settings, setting), code
    return settings.REQUEST_MAX_BYTES, "body-too-large"


class _CappedStream:
    """A body without Content-Length (chunked): reading past the limit is an error."""

    def __init__(self, stream, limit: int):
        self._stream = stream
        self._left = limit

    def _take(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            raise RequestDataTooBig(_("The request body is too large."))
        return data

    def read(self, size: int = -1) -> bytes:
        ask = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        return self._take(self._stream.read(ask))

    def readline(self, size: int = -1) -> bytes:
        ask = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        return self._take(self._stream.readline(ask))


class BodyLimitMiddleware:
    """413 for a body over the view's limit, decided from Content-Length before reading it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        limit, code = body_limit(request, view_func)
        raw = request.META.get("CONTENT_LENGTH") or ""
        if raw:
            try:
                length = int(raw)
            except ValueError:
                return problem_response(
                    400,
                    _("Bad request"),
                    _("Content-Length must be a number of bytes."),
                    "content-length-invalid",
                )
            if length > limit:
                return self.too_large(limit, code)
        elif "HTTP_TRANSFER_ENCODING" in request.META:
            # A WSGI server that passes a chunked body through without Content-Length.
            request._stream = _CappedStream(request.environ["wsgi.input"], limit)
        return None

    @staticmethod
    def too_large(limit: int, code: str):
        return problem_response(
            413,
            _("Request body too large"),
            _("This address accepts at most %(max)d bytes in one request.") % {"max": limit},
            code,
            max_bytes=limit,
        )


class SecurityHeadersMiddleware:
    """Permissions-Policy everywhere; `Cache-Control: no-store` on every authenticated answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and getattr(user, "is_authenticated", False))
        if authenticated or "HTTP_X_KLUIS_SIGNATURE" in request.META:
            # Footage lists, reports and API answers must not stay in a browser's or proxy's
            # cache after the person logs out.
            response["Cache-Control"] = "no-store"
        return response
