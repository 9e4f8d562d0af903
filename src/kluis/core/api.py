"""API defaults shared by every app. The permission lives in the one gate, kluis.core.gate."""

from kluis.core.gate import IsVerifiedPerson

__all__ = ["IsVerifiedPerson"]
