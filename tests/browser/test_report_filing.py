"""In a real browser: the officer files the incident report from their list of recordings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kluis.reports.models import IncidentReport, Notification
from tests.browser.test_playback import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.rule("RPT-1", "RPT-2", "RPT-3")
def test_officer_files_a_report_from_the_list_and_the_manager_is_told(contexts, browser_world):
    w = browser_world
    page = log_in(contexts(), w, w.officer)

    page.goto(w.base + reverse("staff:my-recordings"))
    file_url = reverse("reports:file", args=[w.recording.pk])
    page.click(f"a[href='{file_url}']")
    page.wait_for_url(w.base + file_url)

    # The policy's warning count is on the form; saying none were given needs a reason.
    assert "1 spoken warning" in page.content() or "1 mondelinge waarschuwing" in page.content()
    page.fill("#id_facts", "Man weigerde de standplaats te verlaten en werd dreigend.")
    page.fill("#id_description", "Discussie op de markt; de man loopt na twee minuten weg.")
    page.check("input[name=warned_before][value=False]")
    page.fill("#id_warnings_given", "0")
    page.click("main form button[type=submit]")
    error = page.locator("#id_warning_explanation_error, .form-error").first.inner_text()
    assert "1" in error
    with w.lock:
        assert not IncidentReport.objects.exists()

    page.fill("#id_warning_explanation", "Geen tijd: de man liep direct op mij af.")
    page.click("main form button[type=submit]")
    page.wait_for_url(w.base + reverse("reports:detail", args=[w.recording.pk]))
    with w.lock:
        report = IncidentReport.objects.get(recording=w.recording)
        assert report.officer == w.officer and not report.warned_before
        told = set(
            Notification.objects.filter(recording=w.recording).values_list("recipient", flat=True)
        )
    assert told == {w.manager.pk, w.people["deputy"].pk}

    # The list no longer offers the form.
    page.goto(w.base + reverse("staff:my-recordings"))
    assert page.locator(f"a[href='{file_url}']").count() == 0
