"""Errors of the media package: messages a user can act on, never a stack trace."""

from __future__ import annotations


class MediaError(Exception):
    """A video cannot be read, written or redacted; the message says what to do."""


class PlanError(MediaError, ValueError):
    """A redaction plan is malformed or does not fit the video it is applied to."""
