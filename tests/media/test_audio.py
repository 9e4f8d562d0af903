"""Audio edits are sample-accurate and leave the rest untouched."""

from __future__ import annotations

import numpy as np
import pytest

from kluis.media.audio import TONE_AMPLITUDE, apply_edits
from kluis.media.plan import AudioEdit

RATE = 1000


def test_mute_silences_exactly_the_range():
    samples = np.ones((2, 1000), np.float32)
    out = apply_edits(samples, 10.0, RATE, [AudioEdit(10.2, 10.5, "mute")])
    assert np.all(out[:, 200:500] == 0)
    assert np.all(out[:, :200] == 1) and np.all(out[:, 500:] == 1)
    assert np.all(samples == 1)  # the input is not changed in place


def test_tone_replaces_the_range_with_a_steady_tone():
    samples = np.ones((1, 48000), np.float32)
    out = apply_edits(samples, 0.0, 48000, [AudioEdit(0.25, 0.75, "tone")])
    part = out[0, 12000:36000]
    assert np.sqrt(np.mean(part**2)) == pytest.approx(TONE_AMPLITUDE / np.sqrt(2), rel=1e-3)


def test_ranges_outside_the_frame_change_nothing():
    samples = np.ones((1, 100), np.float32)
    assert apply_edits(samples, 5.0, RATE, [AudioEdit(0, 4.9), AudioEdit(5.2, 6)]) is samples
