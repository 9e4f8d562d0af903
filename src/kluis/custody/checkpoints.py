"""Signed checkpoints of the chain heads (AUD-2).

Before signing, the entries since the last valid checkpoint are verified, so a checkpoint never
vouches for a chain that was already tampered with. Making a checkpoint is idempotent: a chain
whose head is already signed gets no new one. `kluis audit checkpoint` and the task
`make_checkpoints` (enqueued every settings.AUDIT_CHECKPOINT_EVERY entries, or run by cron or a
systemd timer) both call the action `kluis.custody.actions.sign_chain_heads()`, which calls these.
"""

from __future__ import annotations

import base64
import logging

from django.db import IntegrityError, transaction

from kluis.core.clock import now

from .keys import signing_key, trusted_public_keys
from .models import ChainHead, Checkpoint
from .standalone_verify import INSTALLATION_CHAIN, ChainBroken, checkpoint_message, format_time
from .verify import CheckpointData, chains, verify_chain

logger = logging.getLogger(__name__)


def _last_good_checkpoint(chain: str, keys: dict) -> CheckpointData | None:
    """The latest checkpoint whose signature holds; verification can start there."""
    for cp in Checkpoint.objects.filter(chain=chain).order_by("-sequence")[:20]:
        data = cp.as_data()
        key = keys.get(cp.key_id)
        if key is None:
            continue
        try:
            key.verify(base64.b64decode(cp.signature), data.message())
        except Exception:  # noqa: S112 - a bad signature is reported by `kluis audit verify`
            continue
        return data
    return None


def make_checkpoint(chain: str) -> Checkpoint | None:
    """Sign the chain's current head, after verifying it; None when the head is already signed."""
    head = ChainHead.objects.filter(chain=chain).values_list("sequence", "entry_hash").first()
    if head is None or head[0] == 0:
        return None
    sequence, head_hash = head
    if Checkpoint.objects.filter(chain=chain, sequence=sequence).exists():
        return None
    keys = trusted_public_keys()
    start = _last_good_checkpoint(chain, keys)
    # Verify up to the head we read; entries appended meanwhile wait for the next checkpoint.
    summary = verify_chain(chain, keys, start=start, check_head=False)
    if summary.entries < sequence:
        raise ChainBroken(chain, summary.entries + 1, "the chain ends before its head")
    if summary.entries > sequence:
        # Writers appended after we read the head: sign what we verified instead.
        sequence, head_hash = summary.entries, summary.last_hash
    elif summary.last_hash != head_hash:
        raise ChainBroken(chain, sequence, "the last entry does not match the chain head")
    key = signing_key()
    at = format_time(now())
    signature = key.sign(
        checkpoint_message(
            chain=chain, sequence=sequence, entry_hash=head_hash, at=at, key_id=key.key_id
        )
    )
    organisation_id = None if chain == INSTALLATION_CHAIN else chain
    try:
        with transaction.atomic():
            return Checkpoint.objects.create(
                chain=chain,
                organisation_id=organisation_id,
                sequence=sequence,
                entry_hash=head_hash,
                at=at,
                key_id=key.key_id,
                signature=signature,
            )
    except IntegrityError:
        return None  # another process signed the same head at the same time


def checkpoint_all() -> list[Checkpoint]:
    """Sign every chain's head that is not signed yet.

    A broken chain is not signed; the others still are, and then the first problem is raised so
    the command fails and the worker logs it.
    """
    made, broken = [], []
    for chain in chains():
        try:
            cp = make_checkpoint(chain)
        except ChainBroken as exc:
            logger.error("audit chain not signed: %s", exc)
            broken.append(exc)
            continue
        if cp is not None:
            made.append(cp)
    if broken:
        raise broken[0]
    return made
