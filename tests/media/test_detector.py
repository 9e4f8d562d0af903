"""The face model loads offline from the installed package and finds real faces."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kluis.media.detector import FaceDetector, make_shapes_dynamic
from kluis.media.errors import MediaError
from kluis.media.synthetic import ASTRONAUT_FACE, CAMERAMAN_FACE
from kluis.media.tracking import iou


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector((512, 512))


def test_runs_on_the_cpu_provider_only(detector):
    assert detector._session.get_providers() == ["CPUExecutionProvider"]


@pytest.mark.parametrize(
    ("image", "face"),
    [("astronaut", ASTRONAUT_FACE), ("camera", CAMERAMAN_FACE)],
)
def test_finds_the_face_in_real_photographs(detector, image, face):
    from skimage import data

    rgb = getattr(data, image)()
    if rgb.ndim == 2:
        rgb = np.dstack([rgb] * 3)
    found = detector.detect(cv2.resize(rgb, detector.input_size), (512, 512))
    assert len(found) == 1
    assert iou(found[0].box, face) > 0.5
    assert found[0].score > 0.5


def test_finds_nothing_in_a_wall(detector):
    from skimage import data

    wall = np.dstack([cv2.resize(data.brick(), (512, 512))] * 3)
    assert detector.detect(wall, (512, 512)) == []


def test_reports_boxes_in_frame_coordinates():
    """The detector input is small; boxes come back scaled to the full frame."""
    from skimage import data

    small = FaceDetector((256, 256))
    found = small.detect(cv2.resize(data.astronaut(), (256, 256)), (1024, 1024))
    assert iou(found[0].box, tuple(2 * v for v in ASTRONAUT_FACE)) > 0.5


def test_wrong_input_size_is_a_clear_error(detector):
    with pytest.raises(MediaError, match="expects a 512x512 image"):
        detector.detect(np.zeros((100, 100, 3), np.uint8), (100, 100))


def test_shape_rewrite_leaves_other_bytes_alone():
    """Removing declared shapes twice changes nothing the second time."""
    from kluis.media.detector import _model_bytes

    once = _model_bytes()
    assert make_shapes_dynamic(once) == once
