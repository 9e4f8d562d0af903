"""In a real browser: log in with TOTP, co-sign a session, watch, and stop it with a breach."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.urls import reverse

from kluis.custody.models import AuditEntry
from kluis.viewing.models import ViewingSession
from tests.browser.support import BROWSER_READY, rule_if
from tests.login import PASSWORD, code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(context, world, user):
    page = context.new_page()
    page.goto(world.base + reverse("staff:login"))
    with world.lock:
        code = code_for(user)
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_code", code)
    page.click("main button[type=submit]")
    page.wait_for_url(world.base + reverse("staff:home"))
    return page


def wait_for(predicate, seconds=15.0):
    """Poll until `predicate()` holds (the browser posts events in the background)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@rule_if(BROWSER_READY, "ACC-2", "ACC-4", "STO-3", "AUD-1")
def test_officer_and_manager_watch_together_until_a_breach(contexts, browser_world):
    w = browser_world
    context = contexts()
    page = log_in(context, w, w.officer)

    # The recording's page, and from there a viewing session with the manager.
    page.goto(w.base + reverse("staff:recording", args=[w.recording.pk]))
    page.click(f"a[href='{reverse('viewing:start', args=[w.recording.pk])}']")
    page.check("input[name=purpose][value=complaint]")
    page.check(f"input[name=managers][value='{w.manager.pk}']")
    page.fill("#id_case_reference", "K-2026-0042")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    with w.lock:
        session = ViewingSession.objects.get(recording=w.recording)
        manager = session.participants.get(user=w.manager)
        manager_code = code_for(w.manager)
    assert session.state == "pending"
    assert page.locator(f"a[href='{reverse('viewing:watch', args=[session.pk])}']").count() == 0

    # The manager co-signs on the officer's screen with their own password and code.
    page.fill(f"#p{manager.pk}-password", PASSWORD)
    page.fill(f"#p{manager.pk}-code", manager_code)
    with page.expect_navigation():
        page.click("form[action$='/cosign/'] button[type=submit]")
    with w.lock:
        session.refresh_from_db()
    assert session.state == "open"

    # Watch: the video plays from the decrypting Range endpoint.
    page.click(f"a[href='{reverse('viewing:watch', args=[session.pk])}']")
    page.wait_for_selector("#footage")
    video = page.locator("#footage")
    assert video.get_attribute("controlslist").startswith("nodownload")
    overlay = page.locator(".player__overlay").inner_text()
    assert str(w.officer) in overlay and str(w.manager) in overlay and session.short_id in overlay
    page.evaluate(
        "() => { const v = document.getElementById('footage'); v.muted = true;"
        " v.play().catch(e => window.playError = String(e)); }"
    )
    page.wait_for_function(
        "() => document.getElementById('footage').currentTime > 1.0 || window.playError",
        timeout=20_000,
    )
    assert page.evaluate("() => window.playError || null") is None
    assert page.evaluate("() => document.getElementById('footage').currentTime") > 1.0

    # AUD-1: the player posted play; pause and seek follow.
    page.evaluate("() => document.getElementById('footage').pause()")
    page.evaluate("() => { document.getElementById('footage').currentTime = 0.5; }")
    logged = AuditEntry.objects.filter(object_id=str(session.pk))

    def in_trail(action, **kw):
        with w.lock:
            return logged.filter(action=action, **kw).exists()

    for event in ("play", "pause", "seeked"):
        assert wait_for(lambda e=event: in_trail(f"viewing.playback.{e}", actor=w.officer)), event
    assert in_trail("viewing.stream_opened", actor=w.officer)

    # The stream itself answers 206 with a Content-Range, and never as an attachment.
    stream_url = w.base + reverse("viewing:stream", args=[session.pk])
    r = page.request.get(stream_url, headers={"Range": "bytes=0-99"})
    assert r.status == 206
    assert r.headers["content-range"].startswith("bytes 0-99/")
    assert r.headers["content-disposition"] == "inline"
    assert page.goto(stream_url).status == 403  # not as a page of its own, with a save button

    # Someone else, however senior, gets nothing: an administrator and another team's manager.
    for outsider in (w.functional_admin, w.other_team_manager):
        other_page = log_in(contexts(), w, outsider)
        response = other_page.goto(w.base + reverse("viewing:watch", args=[session.pk]))
        assert response.status == 403
        assert other_page.request.get(stream_url).status == 403

    # ACC-4: a breach report ends the session at once; the stream refuses from then on.
    page.goto(w.base + reverse("viewing:session", args=[session.pk]))
    page.fill("#id_description", "A visitor filmed the screen with a phone.")
    with page.expect_navigation():
        page.click("form[action$='/breach/'] button[type=submit]")
    with w.lock:
        session.refresh_from_db()
    assert session.state == "breached"
    assert page.request.get(stream_url, headers={"Range": "bytes=0-99"}).status == 403


@rule_if(BROWSER_READY, "ACC-2")
def test_one_person_alone_cannot_watch(contexts, browser_world):
    """The officer starts a session, nobody co-signs: there is nothing to watch."""
    from kluis.viewing import actions

    w = browser_world
    with w.lock:
        session = actions.start_session(
            w.officer, w.recording, purpose="complaint", managers=[w.manager]
        )
    page = log_in(contexts(), w, w.officer)
    response = page.goto(w.base + reverse("viewing:watch", args=[session.pk]))
    assert response.status == 403
    assert page.request.get(w.base + reverse("viewing:stream", args=[session.pk])).status == 403


def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


@rule_if(BROWSER_READY, "ACC-4")
def test_pages_have_no_wcag_21_aa_violations(contexts, browser_world):
    """axe-core (as shipped in the axe-playwright-python wheel) on every staff page."""
    source = _axe_source()
    from kluis.viewing import actions

    w = browser_world
    with w.lock:
        session = actions.start_session(
            w.officer, w.recording, purpose="complaint", managers=[w.manager]
        )
        actions.confirm(w.manager, session)
    context = contexts()
    anonymous = context.new_page()
    pages = {}
    anonymous.goto(w.base + reverse("staff:login"))
    pages["login"] = _violations(anonymous, source)
    page = log_in(context, w, w.officer)
    urls = {
        "home": reverse("staff:home"),
        "my recordings": reverse("staff:my-recordings"),
        "recording": reverse("staff:recording", args=[w.recording.pk]),
        "start": reverse("viewing:start", args=[w.recording.pk]),
        "session": reverse("viewing:session", args=[session.pk]),
        "watch": reverse("viewing:watch", args=[session.pk]),
        "sessions": reverse("viewing:mine"),
    }
    shots = os.environ.get("KLUIS_SCREENSHOTS")  # a folder: keep a picture of every page
    for name, url in urls.items():
        page.goto(w.base + url)
        pages[name] = _violations(page, source)
        if shots:
            page.screenshot(path=str(Path(shots) / f"{name.replace(' ', '-')}.png"), full_page=True)
    manager_page = log_in(contexts(), w, w.manager)
    manager_page.goto(w.base + reverse("staff:team-recordings"))
    pages["team recordings"] = _violations(manager_page, source)
    found = {name: v for name, v in pages.items() if v}
    assert not found, found


def _violations(page, source):
    # Evaluated through the DevTools protocol: the page's CSP refuses inline script tags.
    page.evaluate(source + "\n;0")
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag',"
        " values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
