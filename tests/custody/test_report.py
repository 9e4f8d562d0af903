"""AUD-3: the chain of custody of one recording can be printed for a case."""

from __future__ import annotations

import re
import uuid
import zlib

import pytest
from django.db import transaction

from kluis.core.permissions import can
from kluis.custody.checkpoints import checkpoint_all
from kluis.custody.log import RECORDING_TYPE, record
from kluis.custody.models import AuditEntry
from kluis.custody.report import custody_report, render_html, render_pdf, report_jsonl
from kluis.custody.standalone_verify import verify_export
from kluis.organisations.models import Role
from tests.factories import make_recording
from tests.login import log_in

pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.django_db, pytest.mark.rule("AUD-3")]

RECORDING = str(uuid.uuid4())


def events_of_a_recording(org, officer=None, recording_id=RECORDING) -> list[AuditEntry]:
    """From sealing on the camera to deletion, with other entries in between."""
    steps = [
        ("recording.ingested", {"camera": "BC-7", "sha256": "ab" * 32}, "", None),
        ("team.added", {}, "", "other"),
        ("hold.placed", {"recording_id": recording_id, "reason": "complaint"}, "complaint", None),
        ("viewing.playback.play", {"session": 3}, "complaint", None),
        ("recording.deleted", {"key": "destroyed"}, "", None),
    ]
    made = []
    for action, details, purpose, other in steps:
        with transaction.atomic():
            kwargs = {}
            if other is None and "recording_id" not in details:
                kwargs = {"object_type": RECORDING_TYPE, "object_id": recording_id}
            made.append(
                record(
                    organisation=org,
                    actor=officer,
                    action=action,
                    purpose=purpose,
                    details=details,
                    **kwargs,
                )
            )
    return made


def pdf_streams(pdf: bytes) -> bytes:
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            out.append(m.group(1))
    return b"\n".join(out)


def test_the_report_holds_every_event_of_the_recording_with_hashes(org):
    made = events_of_a_recording(org)
    checkpoint_all()
    report = custody_report(RECORDING, org)
    assert [e.action for e in report.entries] == [
        "recording.ingested",
        "hold.placed",
        "viewing.playback.play",
        "recording.deleted",
    ]
    assert report.chain_valid and report.covered
    html = render_html(report)
    for entry in made:
        if entry.action != "team.added":
            assert entry.entry_hash in html
    assert "team.added" not in html
    assert report.checkpoint.signature in html
    assert "BEGIN PUBLIC KEY" in html


def test_the_pdf_renders_and_carries_the_hashes(org):
    made = events_of_a_recording(org)
    checkpoint_all()
    pdf = render_pdf(custody_report(RECORDING, org))
    assert pdf.startswith(b"%PDF")
    content = pdf_streams(pdf)
    for entry in made:
        if entry.action != "team.added":
            assert entry.entry_hash.encode() in content


def test_the_attached_entries_verify_against_the_checkpoint(org):
    events_of_a_recording(org)
    checkpoint_all()
    report = custody_report(RECORDING, org)
    lines = report_jsonl(report).splitlines(keepends=True)
    assert len(lines) == 5  # four entries and the checkpoint that covers them
    from kluis.custody.standalone_verify import _parse_entry_line, entry_hash

    for line in lines[:4]:
        seq, _prev, claimed, body = _parse_entry_line(line, "c", "", True)
        assert entry_hash(body) == claimed
    # The full export of the organisation holds the same lines and verifies.
    from .conftest import export_lines

    full = export_lines(report.chain)
    assert all(line in full for line in lines)
    assert verify_export(full, None)[0].entries == report.chain_entries


def test_a_broken_chain_is_shown_on_the_report(org):
    from .conftest import sql

    events_of_a_recording(org)
    sql(f"UPDATE {AuditEntry._meta.db_table} SET purpose = 'x' WHERE action = 'hold.placed'")  # noqa: S608
    report = custody_report(RECORDING, org)
    assert not report.chain_valid
    assert "NOT VALID" in render_html(report)


# --- who may print it ---------------------------------------------------------------------------


@pytest.fixture
def recording(org, people, stores):
    """A real recording of the officer, sealed and ingested (its ingest is in the trail)."""
    return make_recording(org, people.officer)


def test_who_may_print_the_report(org, people, make_org, make_person, recording):
    allowed = {"privacy", "manager", "deputy"}
    for name, person in vars(people).items():
        assert can(person, "custody.view_report", recording) == (name in allowed), name
    stranger = make_person(make_org(), Role.PRIVACY_OFFICER, "privacy-elsewhere")
    assert not can(stranger, "custody.view_report", recording)


def test_the_report_pages_are_guarded_and_audited(client, org, people, recording):
    events_of_a_recording(org, recording_id=str(recording.pk))
    url = f"/api/v1/audit/recordings/{recording.pk}/custody-report"
    assert client.get(url).status_code == 302  # to the login page
    log_in(client, people.other_manager)
    assert client.get(url).status_code == 403
    log_in(client, people.admin)
    assert client.get(url).status_code == 403
    log_in(client, people.manager)
    response = client.get(url)
    assert response.status_code == 200
    assert "recording.ingested" in response.content.decode()
    log_in(client, people.privacy)
    response = client.get(url + ".pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    printed = AuditEntry.objects.filter(action="custody.report_printed", recording_id=recording.pk)
    assert [e.actor_label for e in printed] == ["manager", "privacy"]


def test_another_organisations_people_do_not_learn_the_recording_exists(
    client, make_org, make_person, recording
):
    log_in(client, make_person(make_org(), Role.PRIVACY_OFFICER, "elsewhere"))
    url = f"/api/v1/audit/recordings/{recording.pk}/custody-report"
    assert client.get(url).status_code == 404


def test_the_view_finds_a_real_recording_and_no_unknown_one(client, people, recording):
    log_in(client, people.privacy)
    response = client.get(f"/api/v1/audit/recordings/{recording.pk}/custody-report")
    assert response.status_code == 200
    assert "recording.ingested" in response.content.decode()
    missing = client.get(f"/api/v1/audit/recordings/{uuid.uuid4()}/custody-report")
    assert missing.status_code == 404
