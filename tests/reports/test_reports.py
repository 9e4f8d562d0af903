"""Incident reports: RPT-1..RPT-4, REC-4, REC-5."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from kluis.core import clock
from kluis.core.problems import Conflict, NotAllowed
from kluis.custody.models import AuditEntry
from kluis.organisations.models import Role
from kluis.reports import actions, terms
from kluis.reports.actions import ReportInput, ReportInvalid
from kluis.reports.models import IncidentReport, Notification
from tests.factories import make_organisation, make_person, make_recording, make_reporting_line

# These tests read English messages; the app speaks Dutch by default.
pytestmark = pytest.mark.usefixtures("english")


def good(**changes) -> ReportInput:
    values = dict(
        facts="Man weigerde zijn fiets te verplaatsen en werd agressief.",
        description="Discussie bij de fietsenstalling, man loopt weg.",
        warned_before=True,
        warnings_given=1,
    )
    values.update(changes)
    return ReportInput(**values)


@pytest.fixture
def team(db):
    org = make_organisation(preset="alphen")
    officer = make_person(org, Role.OFFICER, "boa")
    manager = make_person(org, Role.MANAGER, "chef")
    manager.email = "chef@gemeente.invalid"
    manager.save()
    deputy = make_person(org, Role.DEPUTY_MANAGER, "vervanger")
    make_reporting_line(org, officer, manager)
    make_reporting_line(org, officer, deputy, kind="deputy")
    return org, officer, manager, deputy


@pytest.mark.rule("RPT-1", "RPT-3")
def test_recording_without_report_shows_as_missing_for_officer_and_manager(team):
    org, officer, manager, deputy = team
    recording = make_recording(org, officer)
    assert list(terms.missing_for_officer(officer)) == [recording]
    assert list(terms.missing_for_manager(manager)) == [recording]
    assert list(terms.missing_for_manager(deputy)) == [recording]
    outsider = make_person(make_organisation(), Role.MANAGER)
    assert list(terms.missing_for_manager(outsider)) == []
    actions.file_report(recording, good(), actor=officer)
    assert not terms.missing_for_officer(officer).exists()
    assert not terms.missing_for_manager(manager).exists()


@pytest.mark.rule("RPT-3")
def test_manager_is_notified_in_the_app_and_by_email(team, django_capture_on_commit_callbacks):
    org, officer, manager, deputy = team
    recording = make_recording(org, officer)
    with django_capture_on_commit_callbacks(execute=True):
        report = actions.file_report(recording, good(), actor=officer)
    assert set(
        Notification.objects.filter(kind="report_filed").values_list("recipient", flat=True)
    ) == {manager.pk, deputy.pk}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["chef@gemeente.invalid"]
    entry = AuditEntry.objects.get(action="report.filed")
    assert entry.object_id == str(report.pk) and entry.details["recording_id"] == str(recording.pk)


@pytest.mark.rule("RPT-2", "REC-4")
def test_report_without_reason_for_no_warning_is_refused_with_a_clear_message(team):
    org, officer, *_ = team
    recording = make_recording(org, officer)
    with pytest.raises(ReportInvalid) as refused:
        actions.file_report(recording, good(warned_before=False, warnings_given=0), actor=officer)
    assert "warning_explanation" in refused.value.errors
    assert "1 spoken warning" in refused.value.errors["warning_explanation"]
    assert not IncidentReport.objects.exists()
    report = actions.file_report(
        recording,
        good(
            warned_before=False,
            warnings_given=0,
            warned_afterwards=True,
            warning_explanation="Geen tijd: de man sloeg direct.",
        ),
        actor=officer,
    )
    assert not report.warned_before and report.warned_afterwards


@pytest.mark.rule("REC-4")
def test_policy_warning_count_is_enforced_den_haag_two(db):
    org = make_organisation(preset="den-haag")
    officer = make_person(org, Role.OFFICER)
    recording = make_recording(org, officer)
    with pytest.raises(ReportInvalid, match="2 spoken warning"):
        actions.file_report(recording, good(warnings_given=1), actor=officer)
    actions.file_report(recording, good(warnings_given=2), actor=officer)


@pytest.mark.rule("RPT-4", "RET-2")
def test_criminal_report_places_a_hold(team):
    from kluis.retention.models import Hold

    org, officer, *_ = team
    recording = make_recording(org, officer)
    with pytest.raises(ReportInvalid, match="reference"):
        actions.file_report(recording, good(criminal_report_filed=True), actor=officer)
    report = actions.file_report(
        recording,
        good(criminal_report_filed=True, criminal_report_reference="PL0900-2026112901"),
        actor=officer,
    )
    hold = Hold.objects.get(recording=recording)
    assert hold.reason == Hold.Reason.CRIMINAL_REPORT and hold.case_reference == "PL0900-2026112901"
    statement = actions.bodycam_statement(report)
    assert str(recording.pk) in statement and recording.sha256 in statement


@pytest.mark.rule("RPT-1")
def test_late_reports_are_marked(team):
    org, officer, *_ = team
    start = clock.now() - dt.timedelta(hours=2)
    recording = make_recording(
        org, officer, started_at=start, shift_end=start + dt.timedelta(hours=1)
    )
    assert terms.is_overdue(recording)
    report = actions.file_report(recording, good(), actor=officer)
    assert report.late and report.due_at == start + dt.timedelta(hours=1)
    on_time = make_recording(org, officer, started_at=clock.now() - dt.timedelta(minutes=5))
    assert not actions.file_report(on_time, good(), actor=officer).late


@pytest.mark.rule("RPT-1", "RPT-3")
def test_reminder_before_shift_end_then_overdue_notice_once(team):
    org, officer, manager, deputy = team
    start = clock.now() - dt.timedelta(minutes=10)
    recording = make_recording(
        org, officer, started_at=start, shift_end=clock.now() + dt.timedelta(minutes=30)
    )
    assert actions.send_reminders() == 1
    assert actions.send_reminders() == 0  # idempotent
    reminder = Notification.objects.get(kind="report_reminder")
    assert reminder.recipient == officer and reminder.recording == recording
    clock.advance(dt.timedelta(hours=1))
    assert actions.send_reminders() == 3  # officer, manager, deputy
    assert actions.send_reminders() == 0


@pytest.mark.rule("REC-5")
def test_colleagues_flag_from_camera_requires_telling_them(team):
    org, officer, *_ = team
    recording = make_recording(org, officer, includes_colleagues=True)
    assert recording.includes_colleagues
    with pytest.raises(ReportInvalid) as refused:
        actions.file_report(recording, good(), actor=officer)
    assert "colleagues_told" in refused.value.errors
    report = actions.file_report(recording, good(colleagues_told=True), actor=officer)
    assert report.colleagues_in_view and report.colleagues_told


@pytest.mark.rule("RPT-1")
def test_only_the_recording_officer_files_and_only_once(team):
    org, officer, manager, _ = team
    recording = make_recording(org, officer)
    with pytest.raises(NotAllowed):
        actions.file_report(recording, good(), actor=manager)
    actions.file_report(recording, good(), actor=officer)
    with pytest.raises(Conflict):
        actions.file_report(recording, good(), actor=officer)
    assert IncidentReport.objects.count() == 1


@pytest.mark.rule("RPT-3")
def test_report_pages_deny_outsiders(team, client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    org, officer, manager, _ = team
    recording = make_recording(org, officer)
    actions.file_report(recording, good(), actor=officer)
    other = make_person(org, Role.OFFICER, "andere-boa")
    admin_user = make_person(org, Role.FUNCTIONAL_ADMIN, "fb")
    url = reverse("reports:detail", args=[recording.pk])
    for person, expected in ((manager, 200), (officer, 200), (other, 404), (admin_user, 404)):
        TOTPDevice.objects.get_or_create(user=person, name="t", defaults={"confirmed": True})
        client.force_login(person)
        session = client.session
        device = TOTPDevice.objects.get(user=person)
        session["otp_device_id"] = device.persistent_id
        session.save()
        assert client.get(url).status_code == expected, person


@pytest.mark.django_db
def test_reminder_task_runs_and_starts_one_chain_only(settings):
    """The worker starts the periodic chain; a second start while one waits adds nothing."""
    from django_tasks_db.models import DBTaskResult

    from kluis.core import periodic
    from kluis.reports.tasks import send_report_reminders

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    assert periodic.start(send_report_reminders, reschedule=True)
    assert not periodic.start(send_report_reminders, reschedule=True)
    waiting = DBTaskResult.objects.filter(task_path=send_report_reminders.module_path)
    assert waiting.count() == 1
    # Running it sends what is due and queues the next run five minutes later.
    assert send_report_reminders.call(reschedule=True) == 0
    later = waiting.exclude(pk=waiting.first().pk).get()
    assert later.run_after is not None and later.run_after > clock.now()
