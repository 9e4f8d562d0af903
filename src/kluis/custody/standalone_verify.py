#!/usr/bin/env python3
"""Verify an export of the Kluis audit trail without Kluis, Django or a database (AUD-2).

This one file is the reference for the audit trail's format: the server writes entries with the
functions below and `kluis audit verify` checks the database with them, so the server and anyone
who holds an export compute the same bytes. It needs only the Python standard library, plus the
`cryptography` package to check the signatures of checkpoints. Copy it anywhere and run:

    python standalone_verify.py export.jsonl --public-key audit-public-key.pem
    python -m kluis.custody.standalone_verify export.jsonl --public-key KEY

The format is described in docs/audit.md ("Canonical serialisation"). In short: an entry's hash
is SHA-256 over its canonical JSON (keys sorted, no spaces, UTF-8, no ASCII escaping), which
contains the hash of the entry before it; a checkpoint is an Ed25519 signature by the server over
the chain head at one position.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _json_str

EXPORT_FORMAT = "kluis-audit-export/1"
ENTRY_VERSION = 1
GENESIS_HASH = "0" * 64
CHECKPOINT_CONTEXT = b"kluis-audit-checkpoint/1\n"
INSTALLATION_CHAIN = "installation"

# An exported entry line is exactly ENTRY_PREFIX + hash + ENTRY_INFIX + canonical entry + "}\n",
# so a verifier can hash the canonical bytes as they stand in the file.
ENTRY_PREFIX = '{"type":"entry","hash":"'
ENTRY_INFIX = '","entry":'
_B_PREFIX = ENTRY_PREFIX.encode()
_B_INFIX = ENTRY_INFIX.encode()
_B_BODY_START = len(_B_PREFIX) + 64 + len(_B_INFIX)
_B_PREV = b',"prev_hash":"'
_B_SEQ = b',"sequence":'
_B_TAIL = b',"version":1}'
_HEX = frozenset("0123456789abcdef")


def canonical_json(value) -> str:
    """The one JSON form that is hashed and signed: sorted keys, no spaces, no ASCII escaping.

    Floats keep Python's shortest round-trip form; NaN and infinity are refused because JSON has
    no such numbers.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def format_time(moment: dt.datetime) -> str:
    """An entry's time as it is hashed: UTC with microseconds, e.g. 2026-11-29T02:14:27.000123Z."""
    if moment.tzinfo is None:
        raise ValueError("audit times are timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_entry(
    *,
    sequence: int,
    at: str,
    organisation: str | None,
    actor: str | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    purpose: str,
    details_json: str,
    prev_hash: str,
) -> bytes:
    """The bytes an entry's hash is computed over.

    Equal to `canonical_json` of the entry's fields (see ENTRY_FIELDS), but built by joining
    pieces: this runs once per entry on every verification, and a million entries must verify in
    seconds. `details_json` must already be `canonical_json(details)`.
    """
    return canonical_entry_args(
        sequence,
        at,
        organisation,
        actor,
        actor_label,
        action,
        object_type,
        object_id,
        purpose,
        details_json,
        prev_hash,
    )


def canonical_entry_args(
    sequence,
    at,
    organisation,
    actor,
    actor_label,
    action,
    object_type,
    object_id,
    purpose,
    details_json,
    prev_hash,
) -> bytes:
    """canonical_entry with positional arguments, for the verification loops."""
    return (
        _ENTRY_TEMPLATE
        % (
            _json_str(action),
            "null" if actor is None else _json_str(actor),
            _json_str(actor_label),
            at,
            details_json,
            _json_str(object_id),
            _json_str(object_type),
            "null" if organisation is None else _json_str(organisation),
            prev_hash,
            _json_str(purpose),
            int(sequence),
        )
    ).encode("utf-8")


_ENTRY_TEMPLATE = (
    '{"action":%s,"actor":%s,"actor_label":%s,"at":"%s","details":%s,"object_id":%s,'
    '"object_type":%s,"organisation":%s,"prev_hash":"%s","purpose":%s,"sequence":%d,'
    '"version":1}'
)


ENTRY_FIELDS = (
    "action",
    "actor",
    "actor_label",
    "at",
    "details",
    "object_id",
    "object_type",
    "organisation",
    "prev_hash",
    "purpose",
    "sequence",
    "version",
)


def entry_hash(canonical: bytes) -> str:
    """An entry's own hash: SHA-256 of its canonical bytes, as 64 lowercase hex digits."""
    return hashlib.sha256(canonical).hexdigest()


def checkpoint_message(
    *, chain: str, sequence: int, entry_hash: str, at: str, key_id: str
) -> bytes:
    """The bytes the server signs for a checkpoint: a context line, then canonical JSON."""
    body = canonical_json(
        {
            "at": at,
            "chain": chain,
            "entry_hash": entry_hash,
            "key_id": key_id,
            "sequence": int(sequence),
            "version": 1,
        }
    )
    return CHECKPOINT_CONTEXT + body.encode("utf-8")


def key_id(public_raw: bytes) -> str:
    """A short, stable name of a public key: the first 16 hex digits of SHA-256 of its 32 bytes."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def load_public_key(text: str):
    """A public key from a PEM file's path, PEM text, or base64/hex of the raw 32 bytes."""
    # `cryptography` is imported on use throughout: hash-only checks run on the bare stdlib.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    value = text.strip()
    try:
        with open(value, "rb") as fh:
            value = fh.read().decode("ascii").strip()
    except (OSError, ValueError):
        pass
    if value.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(value.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the public key is not an Ed25519 key")
        return key
    for decode in (bytes.fromhex, base64.b64decode):
        try:
            raw = decode(value)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == 32:
            return Ed25519PublicKey.from_public_bytes(raw)
    raise ValueError(
        "cannot read the public key: give a PEM file, or the 32-byte key in base64 or hex"
    )


def public_raw(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class ChainBroken(Exception):
    """The first point where a chain fails verification: `sequence` names the entry."""

    def __init__(self, chain: str, sequence: int | None, reason: str, where: str = ""):
        self.chain = chain
        self.sequence = sequence
        self.reason = reason
        self.where = where
        at = f"entry #{sequence}" if sequence is not None else "chain"
        super().__init__(f"chain {chain}: {at}{f' ({where})' if where else ''}: {reason}")


@dataclass
class Checkpoint:
    chain: str
    sequence: int
    entry_hash: str
    at: str
    key_id: str
    signature: str  # base64

    def message(self) -> bytes:
        return checkpoint_message(
            chain=self.chain,
            sequence=self.sequence,
            entry_hash=self.entry_hash,
            at=self.at,
            key_id=self.key_id,
        )


@dataclass
class ChainSummary:
    chain: str
    entries: int = 0
    last_hash: str = GENESIS_HASH
    checkpoints: int = 0
    signed_checkpoints: int = 0
    last_checkpoint: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def uncovered(self) -> int:
        """Entries after the last checkpoint: nothing signed vouches for them yet."""
        return self.entries - self.last_checkpoint


class ChainVerifier:
    """Walks one chain entry by entry and stops at the first problem.

    Feed entries in order with `entry()`, checkpoints with `checkpoint()` right after the entry
    they sign, then call `finish()`. Keys are trusted public keys by key id; without keys the
    checkpoints are compared but their signatures cannot be checked (the summary says so).
    """

    def __init__(
        self,
        chain: str,
        public_keys: dict | None = None,
        *,
        start_sequence: int = 0,
        start_hash: str = GENESIS_HASH,
    ):
        self.chain = chain
        self.public_keys = public_keys
        self.sequence = start_sequence
        self.last_hash = start_hash
        self.good_checkpoint = start_sequence
        self.summary = ChainSummary(
            chain=chain,
            entries=start_sequence,
            last_hash=start_hash,
            last_checkpoint=start_sequence,
        )

    def entry(
        self, sequence: int, prev_hash: str, claimed_hash: str, canonical: bytes, where: str = ""
    ) -> None:
        expected = self.sequence + 1
        if sequence != expected:
            if sequence > expected:
                reason = (
                    f"entry #{expected} is missing: the entry after #{self.sequence} is #{sequence}"
                )
                raise ChainBroken(self.chain, expected, reason, where)
            reason = f"entry #{sequence} appears again or out of order after entry #{self.sequence}"
            raise ChainBroken(self.chain, sequence, reason, where)
        if hashlib.sha256(canonical).hexdigest() != claimed_hash:
            raise ChainBroken(
                self.chain,
                sequence,
                "the entry was changed: its contents do not match its hash",
                where,
            )
        if prev_hash != self.last_hash:
            raise ChainBroken(
                self.chain,
                sequence,
                f"the entry does not follow entry #{self.sequence}: it names a different "
                "previous hash, so an entry before it was changed, removed or inserted",
                where,
            )
        self.sequence = sequence
        self.last_hash = claimed_hash

    def checkpoint(self, cp: Checkpoint, where: str = "") -> None:
        self.summary.checkpoints += 1
        if cp.chain != self.chain:
            raise ChainBroken(
                self.chain,
                cp.sequence,
                f"a checkpoint of chain {cp.chain} is mixed into this chain",
                where,
            )
        self._check_signature(cp, where)
        if cp.sequence > self.sequence:
            raise ChainBroken(
                self.chain,
                cp.sequence,
                f"the chain was shortened: a checkpoint signed entry #{cp.sequence} but the "
                f"chain ends at #{self.sequence}",
                where,
            )
        if cp.sequence < self.sequence:
            raise ChainBroken(
                self.chain,
                cp.sequence,
                "checkpoint out of place: it must follow the entry it signs",
                where,
            )
        if cp.entry_hash != self.last_hash:
            raise ChainBroken(
                self.chain,
                cp.sequence,
                f"entries #{self.good_checkpoint + 1} to #{cp.sequence} were rewritten (the "
                f"checkpoint signed at {cp.at} names a different hash for entry #{cp.sequence})",
                where,
            )
        self.good_checkpoint = cp.sequence
        self.summary.last_checkpoint = cp.sequence

    def _check_signature(self, cp: Checkpoint, where: str) -> None:
        if self.public_keys is None:
            return
        key = self.public_keys.get(cp.key_id)
        if key is None:
            raise ChainBroken(
                self.chain,
                cp.sequence,
                f"the checkpoint is signed by key {cp.key_id}, which is not a trusted key",
                where,
            )
        from cryptography.exceptions import InvalidSignature

        try:
            key.verify(base64.b64decode(cp.signature, validate=True), cp.message())
        except (InvalidSignature, binascii.Error, ValueError):
            raise ChainBroken(
                self.chain,
                cp.sequence,
                "the checkpoint's signature is not valid: it was forged or changed",
                where,
            )
        self.summary.signed_checkpoints += 1

    def finish(self, head: tuple[int, str] | None = None, where: str = "") -> ChainSummary:
        """End of the chain; `head` is the (sequence, hash) the source claims as its head."""
        if head is not None:
            head_seq, head_hash = head
            if head_seq > self.sequence:
                raise ChainBroken(
                    self.chain,
                    self.sequence + 1,
                    f"the chain was shortened: its head is entry #{head_seq} but "
                    f"the entries end at #{self.sequence}",
                    where,
                )
            if head_seq < self.sequence:
                raise ChainBroken(
                    self.chain,
                    head_seq + 1,
                    f"entries after the head (#{head_seq}) were added outside the audit log",
                    where,
                )
            if head_hash != self.last_hash:
                raise ChainBroken(
                    self.chain,
                    head_seq,
                    "the last entry does not match the "
                    "chain head's hash: it was changed or replaced",
                    where,
                )
        self.summary.entries = self.sequence
        self.summary.last_hash = self.last_hash
        if self.public_keys is None and self.summary.checkpoints:
            self.summary.notes.append("checkpoint signatures not checked: no public key given")
        return self.summary


# --- export files ---------------------------------------------------------------------------


def export_entry_line(claimed_hash: str, canonical: bytes) -> bytes:
    return _B_PREFIX + claimed_hash.encode("ascii") + _B_INFIX + canonical + b"}\n"


def export_json_line(obj: dict) -> bytes:
    return canonical_json(obj).encode("utf-8") + b"\n"


def _check_canonical_entry(body: bytes, chain: str, sequence: int, where: str) -> None:
    """Strict mode: the entry is canonical JSON with exactly the fields of format version 1."""
    try:
        text = body.decode("utf-8")
        fields = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise ChainBroken(chain, sequence, "the entry is not valid UTF-8 JSON", where)
    if not isinstance(fields, dict) or tuple(sorted(fields)) != ENTRY_FIELDS:
        raise ChainBroken(chain, sequence, "the entry does not have the fields of format 1", where)
    if canonical_json(fields) != text:
        raise ChainBroken(chain, sequence, "the entry is not in canonical form", where)
    types = {
        "action": str,
        "actor_label": str,
        "at": str,
        "details": dict,
        "object_id": str,
        "object_type": str,
        "prev_hash": str,
        "purpose": str,
        "sequence": int,
    }
    for name, kind in types.items():
        if not isinstance(fields[name], kind):
            raise ChainBroken(chain, sequence, f"the entry's {name} has the wrong type", where)
    for name in ("actor", "organisation"):
        if fields[name] is not None and not isinstance(fields[name], str):
            raise ChainBroken(chain, sequence, f"the entry's {name} has the wrong type", where)


def _parse_entry_line(line: bytes, chain: str, where: str, strict: bool):
    """(sequence, prev_hash, claimed_hash, canonical bytes) of an exported entry line.

    The canonical bytes are taken as they stand in the file. Top-level keys are sorted and every
    quote inside a JSON string is escaped, so the last `,"prev_hash":"` and `,"sequence":` in the
    entry are its own fields, not text inside a string or a nested object of `details`.
    """
    if not line.endswith(b"}\n") or line[_B_BODY_START - len(_B_INFIX) : _B_BODY_START] != _B_INFIX:
        raise ChainBroken(chain, None, "malformed entry line", where)
    claimed = line[len(_B_PREFIX) : len(_B_PREFIX) + 64].decode("ascii", "replace")
    body = line[_B_BODY_START:-2]
    if not body.endswith(_B_TAIL):
        raise ChainBroken(chain, None, "malformed entry: unknown format version", where)
    i = body.rfind(_B_SEQ)
    j = body.rfind(_B_PREV)
    if i < 0 or j < 0:
        raise ChainBroken(chain, None, "malformed entry: no sequence or previous hash", where)
    try:
        sequence = int(body[i + len(_B_SEQ) : len(body) - len(_B_TAIL)])
    except ValueError:
        raise ChainBroken(chain, None, "malformed entry: bad sequence", where)
    prev = body[j + len(_B_PREV) : j + len(_B_PREV) + 64].decode("ascii", "replace")
    if strict:
        _check_canonical_entry(body, chain, sequence, where)
    return sequence, prev, claimed, body


def _checkpoint_from(obj: dict, chain: str, where: str) -> Checkpoint:
    try:
        cp = obj["checkpoint"]
        return Checkpoint(
            chain=cp["chain"],
            sequence=int(cp["sequence"]),
            entry_hash=cp["entry_hash"],
            at=cp["at"],
            key_id=cp["key_id"],
            signature=obj["signature"],
        )
    except (KeyError, TypeError, ValueError):
        raise ChainBroken(chain, None, "malformed checkpoint line", where)


def verify_export(
    lines: Iterable[bytes], public_keys: dict | None = None, strict: bool = False
) -> list[ChainSummary]:
    """Verify every chain in an export; raises ChainBroken at the first problem.

    Entry lines take a tight path: slice out the canonical bytes, hash them, compare the hash
    and the link with plain byte comparisons. Only when something is off does the entry go
    through ChainVerifier.entry, which names the problem with the same words as everywhere.
    `strict` also checks that each entry is canonical JSON with the fields of format 1.
    """
    summaries: list[ChainSummary] = []
    verifier: ChainVerifier | None = None
    head = None
    chain = "?"
    seq = 0
    last = GENESIS_HASH.encode("ascii")
    sha256 = hashlib.sha256
    prefix, infix, tail, b_prev, b_seq = _B_PREFIX, _B_INFIX, _B_TAIL, _B_PREV, _B_SEQ
    body_start, infix_at, hash_end = (
        _B_BODY_START,
        _B_BODY_START - len(_B_INFIX),
        len(_B_PREFIX) + 64,
    )
    n_prefix, n_tail, n_prev, n_seq = len(prefix), len(tail), len(b_prev), len(b_seq)
    number = 0
    for number, line in enumerate(lines, start=1):  # noqa: B007 - used after the loop
        if line[:n_prefix] == prefix:
            if verifier is None:
                raise ChainBroken(
                    chain, None, "an entry comes before its chain's header", f"line {number}"
                )
            body = line[body_start:-2]
            j = body.rfind(b_prev)
            k = body.rfind(b_seq)
            if (
                j < 0
                or k < 0
                or line[-2:] != b"}\n"
                or line[infix_at:body_start] != infix
                or body[-n_tail:] != tail
            ):
                _parse_entry_line(line, chain, f"line {number}", strict)  # raises, and says why
                raise ChainBroken(chain, None, "malformed entry line", f"line {number}")
            try:
                found = int(body[k + n_seq : -n_tail])
            except ValueError:
                raise ChainBroken(chain, None, "malformed entry: bad sequence", f"line {number}")
            claimed = line[n_prefix:hash_end]
            prev = body[j + n_prev : j + n_prev + 64]
            if strict:
                _check_canonical_entry(body, chain, found, f"line {number}")
            if found != seq + 1 or sha256(body).hexdigest().encode() != claimed or prev != last:
                verifier.sequence, verifier.last_hash = seq, last.decode("ascii")
                verifier.entry(
                    found,
                    prev.decode("ascii", "replace"),
                    claimed.decode("ascii", "replace"),
                    body,
                    where=f"line {number}",
                )
            seq, last = found, claimed
            continue
        where = f"line {number}"
        if verifier is not None:
            verifier.sequence, verifier.last_hash = seq, last.decode("ascii")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise ChainBroken(chain, None, "the line is not JSON", where)
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "chain":
            if verifier is not None:
                raise ChainBroken(
                    chain, None, "a new chain starts before the previous ended", where
                )
            if obj.get("format") != EXPORT_FORMAT:
                raise ChainBroken(
                    chain, None, f"unknown export format {obj.get('format')!r}", where
                )
            chain = str(obj.get("chain"))
            verifier = ChainVerifier(chain, public_keys)
            seq, last = 0, GENESIS_HASH.encode("ascii")
            head = obj.get("head")
        elif kind == "checkpoint":
            if verifier is None:
                raise ChainBroken(
                    chain, None, "a checkpoint comes before its chain's header", where
                )
            verifier.checkpoint(_checkpoint_from(obj, chain, where), where)
        elif kind == "end":
            if verifier is None:
                raise ChainBroken(chain, None, "an end line without a chain", where)
            if obj.get("entries") != verifier.sequence:
                raise ChainBroken(
                    chain,
                    verifier.sequence + 1,
                    f"the export is cut short: it announces {obj.get('entries')} "
                    f"entries and holds {verifier.sequence}",
                    where,
                )
            claimed_head = (head["sequence"], head["hash"]) if isinstance(head, dict) else None
            summaries.append(verifier.finish(claimed_head, where))
            verifier = None
        else:
            raise ChainBroken(chain, None, f"unknown line type {kind!r}", where)
    if verifier is not None:
        raise ChainBroken(
            chain,
            seq + 1,
            "the export is cut short: the chain has no end line",
            "end of file",
        )
    return summaries


def _read_lines(path: str) -> Iterator[bytes]:
    if path == "-":
        yield from sys.stdin.buffer
        return
    with open(path, "rb") as fh:
        yield from fh


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="standalone_verify",
        description="Verify an export of the Kluis audit trail: every hash, every link between "
        "entries and every signed checkpoint.",
    )
    parser.add_argument("export", help="the JSON-lines export (kluis audit export); - for stdin")
    parser.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="KEY",
        help="a trusted public key (PEM file, or base64/hex of the raw 32 "
        "bytes); repeat for older keys",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also check that every entry is canonical JSON with the fields of format 1 "
        "(slower; hashes, links and signatures are always checked, and they already prove "
        "that the bytes are the ones the server wrote)",
    )
    args = parser.parse_args(argv)
    keys = None
    if args.public_key:
        keys = {}
        for text in args.public_key:
            key = load_public_key(text)
            keys[key_id(public_raw(key))] = key
    try:
        summaries = verify_export(_read_lines(args.export), keys, strict=args.strict)
    except ChainBroken as exc:
        print(f"NOT VALID: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot read {args.export}: {exc}", file=sys.stderr)
        return 2
    for s in summaries:
        print(
            f"chain {s.chain}: {s.entries} entries valid; {s.checkpoints} checkpoints "
            f"({s.signed_checkpoints} signatures checked); last checkpoint at entry "
            f"#{s.last_checkpoint}; {s.uncovered} entries after it not yet signed"
        )
        for note in s.notes:
            print(f"  note: {note}")
    if not summaries:
        print("the export holds no chains", file=sys.stderr)
        return 1
    print("VALID")
    return 0


if __name__ == "__main__":
    sys.exit(main())
