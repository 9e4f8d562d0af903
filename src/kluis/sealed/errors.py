"""Errors raised by the sealed-recording format.

Every problem with a file's contents surfaces as a :class:`SealedFormatError` subclass, so callers
(ingest, playback, export) can catch one type and show its message. The message says what is
wrong and, where possible, what to do about it.
"""


class SealedFormatError(ValueError):
    """A sealed recording cannot be used as asked; the message explains why."""


class NotSealedError(SealedFormatError):
    """The bytes are not a Kluis sealed recording (wrong magic or unknown format version)."""


class TruncatedError(SealedFormatError):
    """The file ends before a part that must be there (or a complete recording was required)."""


class TamperedError(SealedFormatError):
    """Signatures, authentication tags, hashes or the structure do not match: changed bytes."""


class WrongKeyError(SealedFormatError):
    """The key given does not belong to this recording (other camera, organisation or data key)."""


class KeyRemovedError(WrongKeyError):
    """The organisation-wrapped data key was removed (server copy): open it with the data key."""
