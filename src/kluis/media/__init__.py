"""Media for Kluis: decode, detect and track faces, blur them, mute audio, encode (no Django).

The redaction engine behind SAR-5 and ACC-5: everyone but the requester is made unrecognisable.

    plan = analyse("in.mp4")            # find and track faces; plan.tracks has thumbnails
    plan.set_keep([3])                  # the requester stays visible
    plan.audio.append(AudioEdit(12.0, 14.5, "tone"))
    render("in.mp4", "out.mp4", plan)   # fragmented MP4, same frames and duration

See docs/redaction.md.
"""

from kluis.media.errors import MediaError, PlanError
from kluis.media.pipeline import RenderReport, analyse, redact, render
from kluis.media.plan import (
    AudioEdit,
    Keyframe,
    ManualBox,
    RedactionPlan,
    RenderSettings,
    SourceInfo,
    Track,
)

__all__ = [
    "AudioEdit",
    "Keyframe",
    "ManualBox",
    "MediaError",
    "PlanError",
    "RedactionPlan",
    "RenderReport",
    "RenderSettings",
    "SourceInfo",
    "Track",
    "analyse",
    "redact",
    "render",
]
