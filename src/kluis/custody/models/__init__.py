"""The audit trail (AUD-1, AUD-2): hash-chained, append-only entries and signed checkpoints.

Each organisation has its own chain (and the installation one for system events without an
organisation), so one organisation's trail can be exported and verified without showing anything
of another's (ORG-1). Entries are appended by `kluis.custody.log.record` only; the database
refuses UPDATE and DELETE on both tables (migration 0002).
"""

from .chain import AuditEntry, ChainHead, chain_key
from .checkpoints import Checkpoint

__all__ = ["AuditEntry", "ChainHead", "Checkpoint", "chain_key"]
