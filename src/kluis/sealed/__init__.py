"""kluis.sealed: the sealed-recording format (no Django; runs on the camera and the server).

A camera seals footage while recording (SealedWriter) to its organisation's public key and signs
it with its own key; anyone with the camera's public key can verify it (verify); the server opens
it with the organisation's private key or the data key from its key store (open_sealed) and
decrypts any byte range in memory. The format is specified in docs/sealed-format.md.
"""

from .errors import (
    KeyRemovedError,
    NotSealedError,
    SealedFormatError,
    TamperedError,
    TruncatedError,
    WrongKeyError,
)
from .format import DEFAULT_CHUNK_SIZE, Manifest
from .keys import InvalidKeyError, KeyPair, generate_camera_keypair, generate_organisation_keypair
from .reader import (
    SealedReader,
    VerifyResult,
    key_block_span,
    open_sealed,
    remove_wrapped_key,
    removed_key_block,
    unwrap_data_key,
    verify,
)
from .writer import SealedWriter

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "InvalidKeyError",
    "KeyPair",
    "KeyRemovedError",
    "Manifest",
    "NotSealedError",
    "SealedFormatError",
    "SealedReader",
    "SealedWriter",
    "TamperedError",
    "TruncatedError",
    "VerifyResult",
    "WrongKeyError",
    "generate_camera_keypair",
    "generate_organisation_keypair",
    "key_block_span",
    "open_sealed",
    "remove_wrapped_key",
    "removed_key_block",
    "unwrap_data_key",
    "verify",
]
