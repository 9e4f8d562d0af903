"""The audit trail's own changes: printing a chain-of-custody report, signing the chain heads.

Like every app's actions, these are the only code of this app that writes; views, commands and
tasks call them. The entries themselves are appended by `log.record`, the one way to write the
audit trail, which the other apps' actions call too.
"""

from __future__ import annotations

from django.db import transaction

from kluis.core.permissions import require

from .checkpoints import checkpoint_all, make_checkpoint
from .log import RECORDING_TYPE, record
from .models import Checkpoint
from .report import CustodyReport, custody_report

REPORT_FORMATS = ("html", "pdf")


def print_custody_report(recording, *, actor, fmt: str) -> CustodyReport:
    """The chain of custody of `recording` for `actor` (AUD-3). Printing it is itself part of the
    chain (AUD-1): the entry is appended before the report is read, so the print shows itself."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {fmt!r}")
    require(actor, "custody.view_report", recording)
    organisation = recording.organisation
    with transaction.atomic():
        record(
            organisation=organisation,
            actor=actor,
            action="custody.report_printed",
            object_type=RECORDING_TYPE,
            object_id=str(recording.pk),
            details={"format": fmt},
        )
    return custody_report(recording.pk, organisation, recording=recording)


def sign_chain_heads(chains: list[str] | None = None) -> list[Checkpoint]:
    """Sign the heads of `chains` (every chain when None) that are not signed yet (AUD-2).

    Idempotent: a head that is already signed gets no new checkpoint, so the command, the task
    and cron may all run it. A broken chain raises `ChainBroken` and is not signed.
    """
    if chains is None:
        return checkpoint_all()
    return [cp for chain in chains if (cp := make_checkpoint(chain)) is not None]
