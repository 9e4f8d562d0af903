"""Every answer carries a Content-Security-Policy and a Permissions-Policy; authenticated ones
are never cached."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.login import log_in


@pytest.mark.django_db
def test_pages_carry_a_csp_without_inline_script_and_a_permissions_policy(client):
    r = client.get(reverse("staff:login"))
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    policy = r["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy


def test_every_authenticated_answer_is_no_store(world):
    c = log_in(Client(), world.officer)
    for url in (reverse("staff:home"), reverse("reports:notifications"), "/no-such-page/"):
        r = c.get(url)
        assert r["Cache-Control"] == "no-store", url


@pytest.mark.django_db
def test_templates_have_no_inline_script_or_style():
    import re
    from pathlib import Path

    import kluis

    root = Path(kluis.__file__).parent
    for template in root.glob("*/templates/**/*.html"):
        text = template.read_text()
        if template.name == "custody_report.html":
            continue  # printed by WeasyPrint; its <style> is the print layout
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        for attribute in (" style=", " onclick=", " onload=", " onchange=", " onsubmit="):
            assert attribute not in text, (template, attribute)


@pytest.mark.django_db
def test_the_custody_report_page_keeps_its_styles_under_the_csp(client):
    """Found by review: the CSP blocked the custody report's <style>; a nonce admits only it."""
    import re

    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from kluis.conf import settings as conf

    assert "'unsafe-inline'" not in conf.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]
    request = RequestFactory().get("/")
    request.csp_nonce = "abc123"
    html = render_to_string(
        "custody/custody_report.html", {"report": None, "entries": []}, request=request
    )
    assert re.search(r'<style nonce="abc123">', html)
