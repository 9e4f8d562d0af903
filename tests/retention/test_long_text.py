"""A million-character reason is refused at the door and never reaches the audit trail."""

from __future__ import annotations

import pytest

from kluis.custody import log
from kluis.custody.models import AuditEntry
from tests.login import log_in


def test_a_million_character_reason_is_refused_and_not_audited(world, client, english):
    rec = world.record()
    log_in(client, world.officer)
    before = AuditEntry.objects.count()
    r = client.post(
        f"/api/v1/retention/recordings/{rec.pk}/decisions/",
        {"kind": "delete", "reason": "x" * 1_000_000},
        content_type="application/json",
    )
    assert r.status_code in (400, 413)
    assert r["Content-Type"] == "application/problem+json"
    assert AuditEntry.objects.count() == before


def test_a_reason_just_over_the_field_limit_is_a_clear_400(world, client, english):
    rec = world.record()
    log_in(client, world.officer)
    r = client.post(
        f"/api/v1/retention/recordings/{rec.pk}/decisions/",
        {"kind": "delete", "reason": "x" * 4001},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "reason" in r.json()["errors"]


def test_the_audit_trail_refuses_a_text_longer_than_ten_thousand_characters():
    with pytest.raises(ValueError, match="at most 10000"):
        log.normalise_details({"reason": "x" * 10_001})
    with pytest.raises(ValueError):
        log.normalise_details({"nested": [{"note": "y" * 10_001}]})
    assert log.normalise_details({"reason": "x" * 10_000})
