"""The five presets hold exactly the values of the presets table in RULES.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kluis.organisations.actions import load_presets
from kluis.organisations.models import Policy
from kluis.organisations.presets import PRESETS

RULES_MD = Path(__file__).resolve().parents[3] / "shared" / "spec" / "RULES.md"
COLUMNS = ["den-haag", "gemeente-001", "dordrecht", "h2o", "alphen"]
P = Policy


def _table() -> dict[str, list[str]]:
    text = RULES_MD.read_text(encoding="utf-8")
    section = text.split("## Policy presets from the seeds", 1)[1]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] not in {"setting", ""} and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = cells[1:]
    return rows


def _expected(setting: str, cell: str) -> dict:
    """Translate one cell of the table into the Policy fields it fixes."""
    c = cell.lower()
    if setting == "retention days":
        return {"retention_days": int(c)}
    if setting == "pre-record seconds":
        m = re.search(r"default (\d+)", c)
        return (
            {"pre_record_seconds": int(m.group(1)), "pre_record_stated": False}
            if m
            else {"pre_record_seconds": int(c), "pre_record_stated": True}
        )
    if setting == "spoken warnings before recording":
        return {
            "spoken_warnings": int(c[0]),
            "warning_may_follow": "may follow" in c,
            "recording_announced": "announced" in c,
        }
    if setting == "citizen request window":
        if c == "none stated":
            return {"request_window": P.RequestWindow.NONE_STATED, "request_window_days": None}
        if c == "within retention":
            return {"request_window": P.RequestWindow.WITHIN_RETENTION, "request_window_days": None}
        return {
            "request_window": P.RequestWindow.DAYS,
            "request_window_days": int(re.match(r"(\d+) days", c).group(1)),
        }
    if setting == "invitation term":
        if c == "not stated":
            return {
                "invitation_term_days": None,
                "invitation_channel": P.InvitationChannel.NOT_STATED,
            }
        if c == "by phone":
            return {"invitation_term_days": None, "invitation_channel": P.InvitationChannel.PHONE}
        return {"invitation_term_days": 7 * int(re.match(r"(\d+) weeks", c).group(1))}
    if setting == "copy for the citizen":
        if c.startswith("usb stick"):
            euros = re.search(r"eur (\d+)\.(\d\d)", c)
            return {
                "copy_rule": P.CopyRule.USB_STICK,
                "copy_fee_cents": int(euros.group(1)) * 100 + int(euros.group(2)),
            }
        assert c in {"no", "not stated (no)"}, c
        return {"copy_rule": P.CopyRule.NONE, "copy_fee_cents": 0}
    if setting == "erasure request":
        return {
            "erasure_requests": P.ErasureRequests.GDPR_DEFAULT
            if c == "gdpr default"
            else P.ErasureRequests.OFFERED
        }
    if setting == "delete after handling/viewing":
        return {"delete_after_handling": c == "yes"}
    if setting == "livestream":
        return {"livestream_enabled": c == "yes"}
    if setting == "learning purpose":
        return {
            "learning_purpose": {
                "no": P.LearningPurpose.NOT_ALLOWED,
                "yes": P.LearningPurpose.ALLOWED,
                "yes (own conduct)": P.LearningPurpose.OWN_CONDUCT,
                "yes (officer's initiative)": P.LearningPurpose.OFFICER_INITIATIVE,
            }[c]
        }
    if setting == "footage to citizen who reported an employee":
        return {
            "reporter_disclosure": P.ReporterDisclosure.REFUSED
            if c == "no"
            else P.ReporterDisclosure.NOT_STATED
        }
    raise AssertionError(f"RULES.md has a preset setting Kluis does not know: {setting!r}")


@pytest.mark.rule("ORG-1")
@pytest.mark.skipif(not RULES_MD.exists(), reason="shared/spec/RULES.md is not beside the project")
@pytest.mark.django_db
def test_presets_hold_exactly_the_values_of_rules_md():
    load_presets()
    table = _table()
    assert len(table) == 11, "the presets table has eleven settings"
    covered = set()
    for setting, cells in table.items():
        for key, cell in zip(COLUMNS, cells, strict=True):
            policy = Policy.objects.get(preset_key=key)
            for field, value in _expected(setting, cell).items():
                covered.add(field)
                assert getattr(policy, field) == value, (key, setting, field)
    # Every setting field of the model is fixed by the table (nothing invented on the side).
    assert covered == set(Policy.SETTING_FIELDS)


@pytest.mark.django_db
def test_presets_load_idempotently_and_stay_five():
    load_presets()
    load_presets()
    assert Policy.objects.filter(preset_key__isnull=False).count() == len(PRESETS) == 5


@pytest.mark.django_db
def test_load_policy_presets_command(capsys):
    from django.core.management import call_command

    call_command("load_policy_presets")
    out = capsys.readouterr().out
    assert "den-haag" in out and "h2o" in out
    assert Policy.objects.get(preset_key="den-haag").retention_days == 31
