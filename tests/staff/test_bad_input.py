"""Bad input is a 4xx with our own page or an RFC 9457 problem, never a debug page or a 500."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import Client
from django.urls import path, reverse

from kluis.core.middleware import _CappedStream
from kluis.viewing import actions as viewing
from tests.login import log_in

PROBLEM = "application/problem+json"


def _boom(request):
    raise RuntimeError("secret detail from the stack")


# This module doubles as the URL map of the tests marked @pytest.mark.urls(__name__).
urlpatterns = [path("boom", _boom), path("api/boom", _boom)]
handler500 = "kluis.core.errors.server_error"


def anonymous() -> Client:
    return Client(raise_request_exception=False)


@pytest.fixture
def open_session(world):
    session = viewing.start_session(
        world.officer, world.recording, purpose="complaint", managers=[world.manager]
    )
    viewing.confirm(world.manager, session)
    return session


def test_debug_is_off_unless_kluis_debug_is_set(tmp_path):
    code = (
        "import django, os; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    )
    env = {k: v for k, v in os.environ.items() if k != "KLUIS_DEBUG"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "kluis.conf.settings",
        "KLUIS_ENVIRONMENT": "development",
        "KLUIS_DATA_DIR": str(tmp_path),
    }
    run = lambda e: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code], env=e, capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    assert run(env) == "False"
    assert run(env | {"KLUIS_DEBUG": "1"}) == "True"


@pytest.mark.django_db
def test_nested_json_100k_deep_to_the_api_is_a_400_problem():
    body = "[" * 100_000 + "]" * 100_000
    r = anonymous().post(reverse("devices-api:camera-enrol"), body, content_type="application/json")
    assert r.status_code == 400
    assert r["Content-Type"] == PROBLEM


def test_a_400_digit_position_on_viewing_events_is_a_400_problem(world, open_session):
    c = log_in(Client(raise_request_exception=False), world.manager)
    r = c.post(
        reverse("viewing:events", args=[open_session.pk]),
        '{"event": "play", "position": ' + "9" * 400 + "}",
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r["Content-Type"] == PROBLEM
    for position in ("1e999", "-1", "NaN"):
        r = c.post(
            reverse("viewing:events", args=[open_session.pk]),
            '{"event": "play", "position": ' + position + "}",
            content_type="application/json",
        )
        assert r.status_code == 400, position


def test_notification_id_abc_is_a_404_not_a_500(world):
    c = log_in(Client(raise_request_exception=False), world.officer)
    for bad in ("abc", "١٢", "9" * 400, ""):
        r = c.post(reverse("reports:notifications"), {"id": bad})
        assert r.status_code == 404, bad


@pytest.mark.django_db
def test_an_unknown_page_is_our_own_dutch_404():
    r = anonymous().get("/no-such-page/")
    assert r.status_code == 404
    assert "Pagina niet gevonden" in r.content.decode() or "Page not found" in r.content.decode()
    assert b"Django" not in r.content


@pytest.mark.django_db
def test_an_unknown_api_path_is_a_404_problem():
    r = anonymous().get("/api/v1/no-such-thing/")
    assert r.status_code == 404
    assert r["Content-Type"] == PROBLEM
    assert r.json()["status"] == 404


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_is_our_page_or_a_problem_without_a_trace():
    r = anonymous().get("/boom")
    assert r.status_code == 500
    assert b"secret detail" not in r.content and b"Traceback" not in r.content
    r = anonymous().get("/api/boom")
    assert r.status_code == 500 and r["Content-Type"] == PROBLEM
    assert b"secret detail" not in r.content


@pytest.mark.django_db
def test_a_content_length_over_the_limit_is_refused_with_413_unread(settings):
    settings.REQUEST_MAX_BYTES = 1000
    r = anonymous().post(
        reverse("devices-api:camera-enrol"), "x" * 1001, content_type="application/json"
    )
    assert r.status_code == 413
    assert r["Content-Type"] == PROBLEM
    assert r.json()["max_bytes"] == 1000


@pytest.mark.django_db
def test_large_bodies_only_for_the_camera_patch_with_signature_headers(settings):
    settings.REQUEST_MAX_BYTES = 1000
    url = reverse("recordings-api:ingest-upload", args=["00000000-0000-4000-8000-000000000000"])
    body = b"x" * 5000
    ctype = "application/offset+octet-stream"
    r = anonymous().patch(url, body, content_type=ctype)
    assert r.status_code == 413
    signed = {
        "X-Kluis-Camera": "00000000-0000-4000-8000-000000000000",
        "X-Kluis-Timestamp": "1",
        "X-Kluis-Nonce": "0" * 32,
        "X-Kluis-Content-SHA256": "0" * 64,
        "X-Kluis-Signature": "AAAA",
    }
    r = anonymous().patch(url, body, content_type=ctype, headers=signed)
    # Past the size check, the signature is checked before a byte is read: refused, not 413.
    assert r.status_code == 401
    # The same headers on any other endpoint do not lift the small limit.
    r = anonymous().post(
        reverse("recordings-api:ingest-uploads"), body, content_type=ctype, headers=signed
    )
    assert r.status_code == 413


def test_a_chunked_body_without_content_length_is_capped():
    stream = _CappedStream(io.BytesIO(b"x" * 2000), 1000)
    with pytest.raises(RequestDataTooBig):
        stream.read()
    stream = _CappedStream(io.BytesIO(b"x" * 1000), 1000)
    assert len(stream.read()) == 1000
