"""The blur cannot be undone: no fine detail of the face is left, and no detector finds it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kluis.media.blur import pixelate_yuv420
from kluis.media.detector import FaceDetector
from kluis.media.synthetic import ASTRONAUT_FACE, detail_correlation


def blurred(rgb: np.ndarray, boxes, seed: int = 0, **kwargs) -> np.ndarray:
    h = rgb.shape[0]
    yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    planes = (
        yuv[:h],
        yuv[h : h + h // 4].reshape(h // 2, -1),
        yuv[h + h // 4 :].reshape(h // 2, -1),
    )
    pixelate_yuv420(planes, boxes, seed=seed, **kwargs)
    return cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420)


@pytest.fixture(scope="module")
def astronaut():
    from skimage import data

    return data.astronaut()


def padded(box, pad=0.25):
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    return (x1 - w * pad, y1 - h * pad, x2 + w * pad, y2 + h * pad)


@pytest.mark.rule("SAR-5")
@pytest.mark.rule("ACC-5")
def test_no_detail_of_the_face_survives(astronaut):
    out = blurred(astronaut, [padded(ASTRONAUT_FACE)])
    assert detail_correlation(astronaut, out, ASTRONAUT_FACE) < 0.3
    assert detail_correlation(astronaut, astronaut, ASTRONAUT_FACE) == pytest.approx(1.0)


@pytest.mark.rule("SAR-5")
@pytest.mark.rule("ACC-5")
def test_the_detector_no_longer_finds_a_face(astronaut):
    detector = FaceDetector((512, 512), threshold=0.2)
    assert detector.detect(astronaut, (512, 512))
    assert detector.detect(blurred(astronaut, [padded(ASTRONAUT_FACE)]), (512, 512)) == []


def test_only_a_handful_of_values_are_left(astronaut):
    """A face reduced to a few blocks holds a few dozen numbers: nothing to reconstruct from."""
    out = blurred(astronaut, [padded(ASTRONAUT_FACE)])
    x1, y1, x2, y2 = ASTRONAUT_FACE
    gray = cv2.cvtColor(out[y1:y2, x1:x2], cv2.COLOR_RGB2GRAY)
    assert len(np.unique(gray)) < 30  # the original face region has ~200 grey levels


def test_offsets_hide_the_block_means_but_stay_still_within_a_render(astronaut):
    box = padded(ASTRONAUT_FACE)
    assert not np.array_equal(blurred(astronaut, [box], seed=1), blurred(astronaut, [box], seed=2))
    assert np.array_equal(blurred(astronaut, [box], seed=1), blurred(astronaut, [box], seed=1))


def test_outside_the_boxes_nothing_changes(astronaut):
    out = blurred(astronaut, [(300, 300, 400, 400)])
    mask = np.ones(astronaut.shape[:2], bool)
    mask[300:400, 300:400] = False
    # Only the YUV 4:2:0 round trip differs, by a level or two.
    ref = blurred(astronaut, [])
    assert np.array_equal(out[mask], ref[mask])


def test_the_detail_measure_sees_through_a_light_blur(astronaut):
    """The measure the tests rely on is not fooled by a blur that only looks strong."""
    x1, y1, x2, y2 = ASTRONAUT_FACE
    light = astronaut.copy()
    light[y1:y2, x1:x2] = cv2.GaussianBlur(astronaut, (0, 0), 3)[y1:y2, x1:x2]
    assert detail_correlation(astronaut, light, ASTRONAUT_FACE) > 0.6
