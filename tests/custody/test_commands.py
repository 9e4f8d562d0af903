"""AUD-2: `kluis audit verify|export|checkpoint` and the read-only admin with the public key."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kluis.cli import main as kluis
from kluis.custody.keys import signing_key
from kluis.custody.models import AuditEntry, Checkpoint
from kluis.custody.standalone_verify import main as standalone
from kluis.organisations.models import Role
from tests.login import log_in

from .conftest import sql

pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.django_db, pytest.mark.rule("AUD-2")]


def run(*args) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_verify_names_the_first_bad_entry_and_why(trail, org):
    trail(4)
    assert "The audit trail is valid: 7 entries" in run("verify")
    assert "7 entries valid" in run("verify", "--organisation", org.slug)
    sql(f"UPDATE {AuditEntry._meta.db_table} SET action = 'x' WHERE sequence = 5")  # noqa: S608
    with pytest.raises(CommandError, match=r"NOT valid.*entry #5: the entry was changed"):
        run("verify")


def test_checkpoint_then_export_then_verify_with_only_the_public_key(trail, tmp_path, capsys):
    trail(3)
    assert "signed chain" in run("checkpoint")
    assert "already signed" in run("checkpoint")
    trail(2)
    target = tmp_path / "audit.jsonl"
    run("export", "--output", str(target))  # signs the new head first
    assert Checkpoint.objects.count() == 2
    key = tmp_path / "key.pem"
    key.write_text(signing_key().public_pem)
    assert standalone([str(target), "--public-key", str(key)]) == 0
    assert "VALID" in capsys.readouterr().out
    target.write_bytes(target.read_bytes().replace(b'"sequence":4,', b'"sequence":40,'))
    assert standalone([str(target), "--public-key", str(key)]) == 1
    assert "entry #4" in capsys.readouterr().err


def test_the_kluis_command_has_an_audit_subcommand(trail, capsys, monkeypatch):
    from django.db import connections

    # A management command run from the command line closes the connections when it ends; the
    # test's transaction lives on one of them.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    trail(1)
    assert kluis(["audit", "verify"]) == 0
    assert "valid" in capsys.readouterr().out
    assert kluis(["audit", "public-key"]) == 0
    assert signing_key().key_id in capsys.readouterr().out
    sql(f"DELETE FROM {AuditEntry._meta.db_table} WHERE sequence = 2")  # noqa: S608
    with pytest.raises(SystemExit) as info:
        kluis(["audit", "verify"])
    assert info.value.code == 1
    assert "entry #2 is missing" in capsys.readouterr().err


def test_the_admin_shows_the_trail_read_only_with_the_public_key(
    client, org, make_org, make_person
):
    admin_user = make_person(org, Role.FUNCTIONAL_ADMIN, "fa")
    other = make_org()
    log_in(client, admin_user)
    response = client.get("/admin/custody/auditentry/")
    assert response.status_code == 200
    page = response.content.decode()
    assert signing_key().public_b64 in page
    mine = AuditEntry.objects.filter(organisation=org)
    assert response.context["cl"].result_count == mine.count()
    assert not AuditEntry.objects.filter(
        organisation=other, pk__in=[e.pk for e in response.context["cl"].result_list]
    ).exists()
    entry = mine.first()
    assert client.get(f"/admin/custody/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/custody/auditentry/add/").status_code == 403
    assert client.get(f"/admin/custody/auditentry/{entry.pk}/delete/").status_code == 403
    client.post(f"/admin/custody/auditentry/{entry.pk}/change/", {"action": "x"})
    entry.refresh_from_db()
    assert entry.action != "x"
    foreign = AuditEntry.objects.filter(organisation=other).first()
    assert client.get(f"/admin/custody/auditentry/{foreign.pk}/change/").status_code == 302
    assert client.get("/admin/custody/checkpoint/").status_code == 200


def test_officers_do_not_get_the_admin(client, org, make_person):
    client.force_login(make_person(org, Role.OFFICER, "boa"))
    assert client.get("/admin/custody/auditentry/").status_code in (302, 403)
