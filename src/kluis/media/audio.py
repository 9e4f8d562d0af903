"""Audio edits: silence or cover stretches of sound, sample-accurately.

Covering with a tone rather than silence makes it obvious to a viewer that something was removed,
which is what a redacted transcript's black bar does for text.
"""

from __future__ import annotations

import numpy as np

from kluis.media.plan import AudioEdit

TONE_HZ = 1000.0
TONE_AMPLITUDE = 0.1  # -20 dBFS: clearly audible, not painful


def apply_edits(
    samples: np.ndarray, start_time: float, sample_rate: int, edits: list[AudioEdit]
) -> np.ndarray:
    """Return planar float samples (channels x n) with the edited ranges muted or toned.

    `start_time` is the time of the first sample in seconds; the tone's phase follows the
    absolute time, so it continues smoothly across decoded frames.
    """
    n = samples.shape[-1]
    if n == 0 or not edits:
        return samples
    end_time = start_time + n / sample_rate
    out = None
    for edit in edits:
        if edit.end <= start_time or edit.start >= end_time:
            continue
        a = max(0, int(round((edit.start - start_time) * sample_rate)))
        b = min(n, int(round((edit.end - start_time) * sample_rate)))
        if b <= a:
            continue
        if out is None:
            out = np.array(samples, dtype=np.float32, copy=True)
        if edit.action == "tone":
            t = start_time + np.arange(a, b) / sample_rate
            out[:, a:b] = (TONE_AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
        else:
            out[:, a:b] = 0.0
    return samples if out is None else out
