"""Footage storage, the key store and the audit signing key (docs/storage.md, docs/audit.md)."""

from __future__ import annotations

from pathlib import Path

from .base import DATA_DIR, env

# Footage: a local directory by default, or s3://bucket?endpoint=... (see docs/operator.md).
STORAGE_URL = env("STORAGE_URL") or f"file://{DATA_DIR / 'footage'}"
# S3: Object Lock mode for stored footage when the bucket has Object Lock enabled.
S3_OBJECT_LOCK_MODE = env("S3_OBJECT_LOCK_MODE", "GOVERNANCE")
S3_PART_SIZE = int(env("S3_PART_SIZE", str(64 * 1024**2)))

# The key store holds each recording's key; destroying a key is how footage is deleted.
KEYSTORE_URL = env("KEYSTORE_URL") or f"file://{DATA_DIR / 'keys'}"
# The master key wraps every key in the local key store: base64 of 32 random bytes, given
# directly or as a file. Development and tests generate one in the data directory; production
# refuses to start ingest without one (see kluis.devices.keystore).
MASTER_KEY = env("MASTER_KEY")
MASTER_KEY_FILE = env("MASTER_KEY_FILE")

# The Ed25519 key that signs audit checkpoints stays outside the database: KLUIS_AUDIT_SIGNING_KEY
# (PEM, or base64 of the 32 raw bytes) or a file created with mode 0600 on first use.
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY")
AUDIT_SIGNING_KEY_FILE = Path(
    env("AUDIT_SIGNING_KEY_FILE") or DATA_DIR / "keys" / "audit-signing.key"
)
# Every this many entries of a chain a checkpoint task is queued (0: only `kluis audit checkpoint`).
AUDIT_CHECKPOINT_EVERY = int(env("AUDIT_CHECKPOINT_EVERY", "1000"))
# `kluis audit verify` splits a longer chain into ranges of this many entries and verifies them
# in parallel processes (one per core); a shorter chain is verified in one pass.
AUDIT_VERIFY_RANGE = int(env("AUDIT_VERIFY_RANGE", "200000"))
