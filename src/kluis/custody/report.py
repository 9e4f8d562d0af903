"""The chain of custody of one recording, as HTML and PDF (AUD-3).

The report is built from the audit trail alone: every entry whose object is the recording or whose
details name it, from sealing on the camera to deletion, each with its hash and the hash before
it, plus the checkpoint that signs them and the public key to check that signature with. The PDF
carries the same entries as an attached JSON-lines file, so a receiver (police, OM, court) can
recompute every hash with the stand-alone verifier instead of trusting the print.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from kluis.core.clock import AMSTERDAM, now

from . import events
from .keys import signing_key, trusted_public_keys
from .models import AuditEntry, Checkpoint, chain_key
from .standalone_verify import ChainBroken, export_entry_line, format_time
from .verify import checkpoint_line, iter_entries, verify_chain


@dataclass
class ReportEntry:
    sequence: int
    at: object
    actor_label: str
    action: str
    purpose: str
    details: dict
    prev_hash: str
    entry_hash: str

    @property
    def action_label(self) -> str:
        """The event type's label in the reader's language (the registry's)."""
        return events.label(self.action)

    @property
    def details_text(self) -> str:
        return ", ".join(
            f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(self.details.items())
        )


@dataclass
class CustodyReport:
    recording_id: str
    organisation: object
    chain: str
    generated_at: object
    entries: list[ReportEntry] = field(default_factory=list)
    chain_valid: bool = True
    chain_problem: str = ""
    chain_entries: int = 0
    checkpoint: Checkpoint | None = None
    key_id: str = ""
    public_key_pem: str = ""
    recording: object = None

    @property
    def covered(self) -> bool:
        """Do the checkpoint's signature and the chain vouch for every listed entry?"""
        return (
            bool(self.entries)
            and self.checkpoint is not None
            and (self.checkpoint.sequence >= self.entries[-1].sequence)
        )


def custody_report(recording_id, organisation, *, recording=None) -> CustodyReport:
    """What the trail holds about one recording of one organisation, verified."""
    chain = chain_key(organisation)
    rows = AuditEntry.objects.filter(chain=chain, recording_id=str(recording_id)).order_by(
        "sequence"
    )
    key = signing_key()
    report = CustodyReport(
        recording_id=str(recording_id),
        organisation=organisation,
        chain=chain,
        generated_at=now().astimezone(AMSTERDAM),
        key_id=key.key_id,
        public_key_pem=key.public_pem,
        recording=recording,
    )
    for row in rows:
        report.entries.append(
            ReportEntry(
                sequence=row.sequence,
                at=row.at.astimezone(AMSTERDAM),
                actor_label=row.actor_label,
                action=row.action,
                purpose=row.purpose,
                details=row.details,
                prev_hash=row.prev_hash,
                entry_hash=row.entry_hash,
            )
        )
    try:
        summary = verify_chain(chain, trusted_public_keys())
        report.chain_entries = summary.entries
    except ChainBroken as exc:
        report.chain_valid = False
        report.chain_problem = str(exc)
    if report.entries:
        report.checkpoint = (
            Checkpoint.objects.filter(chain=chain, sequence__gte=report.entries[-1].sequence)
            .order_by("sequence")
            .first()
        )
    return report


def report_jsonl(report: CustodyReport) -> bytes:
    """The report's entries as export lines, then the checkpoint that covers them."""
    wanted = {e.sequence for e in report.entries}
    lines = []
    if wanted:
        first = min(wanted) - 1
        for seq, body, _prev, own, _ok in iter_entries(report.chain, after=first):
            if seq in wanted:
                lines.append(export_entry_line(own, body))
            if seq >= max(wanted):
                break
    if report.checkpoint is not None:
        cp = report.checkpoint
        lines.append(checkpoint_line(cp.as_data()))
    return b"".join(lines)


def render_html(report: CustodyReport, *, for_pdf: bool = False) -> str:
    return render_to_string(
        "custody/custody_report.html",
        {"report": report, "for_pdf": for_pdf, "generated_utc": format_time(report.generated_at)},
    )


def render_pdf(report: CustodyReport) -> bytes:
    """The printable report; the entries travel inside it as custody-<id>.jsonl."""
    # Imported on use: WeasyPrint loads Pango and fonts, which only a PDF needs.
    from weasyprint import HTML, Attachment

    attachment = Attachment(
        string=report_jsonl(report).decode("utf-8"),
        name=f"custody-{report.recording_id}.jsonl",
        description=_("Audit entries of this report, in the export format of the audit trail"),
    )
    return HTML(string=render_html(report, for_pdf=True)).write_pdf(attachments=[attachment])
