"""Kluis: evidence management for municipal bodycams."""

__version__ = "0.1.0"
