"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Skipped cleanly when /usr/bin/chromium or the playwright package is missing. The live server
needs a transactional database; its flush at the end would trip the audit trail's append-only
triggers, so they are dropped just for that flush and put back right after it.

On SQLite the test database lives in memory and pytest-django hands the live server the test's
own connection, shared by every thread. One sqlite3 connection cannot serve two threads at
once, so the live server answers one request at a time and the test takes the same lock for its
own queries (`with world.lock:`). On PostgreSQL the lock only costs a little parallelism.
"""

from __future__ import annotations

import os
import threading

import pytest
from playwright.sync_api import sync_playwright

from kluis.staff.demo import synthetic_mp4
from tests.browser.support import CHROMIUM

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """One Chromium per module. Playwright's sync API keeps an event loop running in this
    thread while it is open, so Django's async-safety check is relaxed just for that time (the
    ORM calls of these tests are plain synchronous ones) and the browser is closed with the
    module, before other tests run."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _drop_triggers_for_the_flush():
    """Drop the append-only triggers now and put them back right after the database flush.

    pytest-django flushes after every fixture of the test is torn down, and Django sends
    post_migrate after a flush: that is when the triggers return.
    """
    from django.db import connection
    from django.db.models.signals import post_migrate

    from kluis.custody import triggers

    def recreate(**kwargs):
        post_migrate.disconnect(dispatch_uid="kluis-browser-triggers")
        triggers.create(connection)

    triggers.drop(connection)
    post_migrate.connect(recreate, weak=False, dispatch_uid="kluis-browser-triggers")


class _OneAtATime:
    """WSGI middleware: holds `lock` from the start of a request until its body is closed."""

    def __init__(self, app, lock):
        self.app, self.lock = app, lock

    def __call__(self, environ, start_response):
        self.lock.acquire()
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self.lock.release()
            raise
        return _Released(body, self.lock)


class _Released:
    def __init__(self, body, lock):
        self.body, self.lock, self.open = body, lock, True

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            if self.open:
                self.open = False
                self.lock.release()


@pytest.fixture
def served_alone(live_server):
    lock = threading.Lock()
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    httpd.set_app(_OneAtATime(app, lock))
    yield lock
    httpd.set_app(app)


@pytest.fixture
def contexts(browser):
    """new_context() for the test; every context is closed before the database is flushed."""
    made = []

    def new_context():
        made.append(browser.new_context())
        return made[-1]

    yield new_context
    for context in made:
        context.close()


@pytest.fixture
def browser_world(live_server, served_alone, contexts, stores, settings):
    """The one test world with a real MP4 as footage, served by the live server."""
    from tests.world import build_world

    # Small responses, so the player must come back for more with Range requests.
    settings.VIEWING_MAX_RANGE_BYTES = 64 * 1024
    # A real fragmented H.264 MP4 as the camera writes it, short and small for the test.
    world = build_world(
        "h2o", footage=synthetic_mp4(seconds=6, width=320, height=240), chunk_size=16 * 1024
    )
    world.base = live_server.url
    world.lock = served_alone
    yield world
    with served_alone:
        _drop_triggers_for_the_flush()
