"""AUD-2: anyone with an export and the public key can verify it, without Kluis or Django."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kluis.custody import standalone_verify as sv
from kluis.custody.checkpoints import checkpoint_all
from kluis.custody.keys import signing_key, trusted_public_keys

from .conftest import export_lines, write_entries

pytestmark = [pytest.mark.django_db, pytest.mark.rule("AUD-2")]

VERIFIER = Path(sv.__file__)


def check(lines: list[bytes], strict: bool = False):
    return sv.verify_export(lines, trusted_public_keys(), strict=strict)


def broken(lines: list[bytes], strict: bool | None = None) -> sv.ChainBroken:
    """The problem found; by default both modes must find the same one."""
    found = []
    for mode in (False, True) if strict is None else (strict,):
        with pytest.raises(sv.ChainBroken) as info:
            check(lines, mode)
        found.append(info.value)
    assert len({(p.sequence, p.reason, p.where) for p in found}) == 1, found
    return found[0]


@pytest.fixture
def exported(trail, org):
    """An export of 13 entries: checkpoint after #8, five more entries, checkpoint after #13."""
    chain = trail(5)
    checkpoint_all()
    write_entries(org, 5, details={"recording_id": "rec-1", "naam": 'Zoë "de" Boer\n'})
    checkpoint_all()
    return export_lines(chain)


def entry_line(lines, sequence) -> int:
    return next(
        i
        for i, line in enumerate(lines)
        if line.startswith(sv._B_PREFIX)
        and sv._parse_entry_line(line, "?", "", False)[0] == sequence
    )


def test_a_good_export_verifies(exported):
    (summary,) = check(exported)
    assert summary.entries == 13
    assert summary.signed_checkpoints == 2 and summary.uncovered == 0
    assert check(exported, strict=True)[0].entries == 13


def test_changing_any_entry_in_an_export_is_named(exported):
    for sequence in range(1, 14):
        lines = list(exported)
        i = entry_line(lines, sequence)
        lines[i] = lines[i].replace(b'"action":"', b'"action":"X', 1)
        problem = broken(lines)
        assert problem.sequence == sequence and "changed" in problem.reason
        assert problem.where == f"line {i + 1}"


def test_deleting_any_entry_from_an_export_is_named(exported):
    for sequence in range(1, 14):
        lines = list(exported)
        del lines[entry_line(lines, sequence)]
        problem = broken(lines)
        assert problem.sequence == sequence
        if sequence in (8, 13):  # right before the checkpoint that signed it
            assert "shortened" in problem.reason
        else:
            assert "missing" in problem.reason


def test_swapping_any_two_neighbours_in_an_export_is_named(exported):
    for sequence in range(1, 13):
        lines = list(exported)
        i, j = entry_line(lines, sequence), entry_line(lines, sequence + 1)
        lines[i], lines[j] = lines[j], lines[i]
        problem = broken(lines)
        assert problem.sequence == sequence
        assert "missing" in problem.reason or "shortened" in problem.reason


def test_inserting_an_entry_into_an_export_is_named(exported):
    for sequence in range(1, 14):
        lines = list(exported)
        i = entry_line(lines, sequence)
        lines.insert(i + 1, lines[i])  # a copy of a real entry, hash and all
        problem = broken(lines)
        assert problem.sequence == sequence and "appears again" in problem.reason
        assert problem.where == f"line {i + 2}"


def test_truncating_an_export_is_named(exported):
    problem = broken(exported[:-1])
    assert "no end line" in problem.reason
    lines = [line for line in exported if b'"sequence":13,' not in line]
    problem = broken(lines)
    assert problem.sequence == 13 and "cut short" in problem.reason
    # A consistent cut (end line rewritten too) still disagrees with the head in the header.
    lines = exported[: entry_line(exported, 10) + 1]
    lines.append(sv.export_json_line({"type": "end", "chain": "x", "entries": 10}))
    problem = broken(lines)
    assert problem.sequence == 11 and "shortened" in problem.reason


def test_a_forged_signature_in_an_export_is_named(exported):
    lines = list(exported)
    i = next(i for i, line in enumerate(lines) if line.startswith(b'{"checkpoint"'))
    obj = json.loads(lines[i])
    obj["checkpoint"]["entry_hash"] = "0" * 64
    lines[i] = sv.export_json_line(obj)
    assert "signature is not valid" in broken(lines).reason


def test_strict_mode_refuses_entries_that_are_not_canonical(exported):
    lines = list(exported)
    i = entry_line(lines, 9)
    body = lines[i][sv._B_BODY_START : -2]
    # ASCII escapes ("Zo\u00eb"): the same JSON value, other bytes, hashed anew.
    loose = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    assert loose != body
    lines[i] = sv.export_entry_line(sv.entry_hash(loose), loose)
    problem = broken(lines, strict=True)
    assert problem.sequence == 9 and "canonical" in problem.reason
    assert broken(lines, strict=False).sequence == 10


def test_the_standalone_verifier_runs_without_django(exported, tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(exported))
    key = tmp_path / "audit.pem"
    key.write_text(signing_key().public_pem)
    # Run the file by itself from an empty directory, as a receiver would.
    script = tmp_path / "standalone_verify.py"
    script.write_bytes(VERIFIER.read_bytes())
    guard = (
        "import runpy, sys; sys.argv = sys.argv[1:]; "
        "sys.modules['django'] = None; "  # importing Django would fail
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    good = subprocess.run(
        [sys.executable, "-I", "-c", guard, str(script), str(path), "--public-key", str(key)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert good.returncode == 0, good.stderr
    assert "VALID" in good.stdout and "13 entries valid" in good.stdout

    tampered = b"".join(exported).replace(b"Zo\xc3\xab", b"Zoe", 1)
    path.write_bytes(tampered)
    bad = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            guard,
            str(script),
            str(path),
            "--public-key",
            signing_key().public_b64,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "NOT VALID" in bad.stderr and "entry #9" in bad.stderr and "changed" in bad.stderr


def test_without_the_public_key_the_verifier_says_what_it_did_not_check(exported):
    (summary,) = sv.verify_export(exported, None)
    assert summary.signed_checkpoints == 0
    assert "not checked" in summary.notes[0]


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | text
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


@settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(action=text, label=text, purpose=text, details=st.dictionaries(text, json_values))
def test_the_fast_canonical_form_is_the_canonical_json(action, label, purpose, details):
    """canonical_entry joins pieces for speed; it must equal canonical_json of the fields."""
    fields = {
        "action": action,
        "actor": None,
        "actor_label": label,
        "at": "2026-11-29T02:14:27.000001Z",
        "details": details,
        "object_id": "1",
        "object_type": "x.y",
        "organisation": "o",
        "prev_hash": "0" * 64,
        "purpose": purpose,
        "sequence": 7,
        "version": 1,
    }
    fast = sv.canonical_entry(
        sequence=7,
        at=fields["at"],
        organisation="o",
        actor=None,
        actor_label=label,
        action=action,
        object_type="x.y",
        object_id="1",
        purpose=purpose,
        details_json=sv.canonical_json(details),
        prev_hash="0" * 64,
    )
    assert fast == sv.canonical_json(fields).encode("utf-8")
    line = sv.export_entry_line(sv.entry_hash(fast), fast)
    assert sv._parse_entry_line(line, "c", "", True)[0] == 7
