"""Four-eyes viewing of footage (kluis.viewing; docs/staff-app.md)."""

from __future__ import annotations

from .base import env

# A viewing session closes by itself after this many minutes, even if nobody ends it.
VIEWING_SESSION_MINUTES = int(env("VIEWING_SESSION_MINUTES", "120"))
# The most bytes one playback Range response carries: the player asks again for more, so an
# ended session stops the picture within one response.
VIEWING_MAX_RANGE_BYTES = int(env("VIEWING_MAX_RANGE_BYTES", str(2 * 1024**2)))
