"""Irreversible blurring of boxes in a decoded YUV 4:2:0 picture.

A light Gaussian blur can be inverted (deconvolution) and a fine mosaic can be matched against
known faces; what cannot be recovered is information that is not there. Each box is replaced by a
very coarse mosaic (by default 3 blocks along its longer side, so a face becomes about six flat
patches), each block the mean colour of its area plus a random offset. The block grid is anchored
to the box, which moves with the face, so the mosaic does not shimmer; the offsets are drawn once
per render (from `seed`) and per grid size, so they stay still too, yet hide the exact means.

Working on the Y, U and V planes directly avoids two colour conversions per frame.
"""

from __future__ import annotations

import math
import secrets

import cv2
import numpy as np

from kluis.media.plan import Box


def pixelate_yuv420(
    planes: tuple[np.ndarray, np.ndarray, np.ndarray],
    boxes: list[Box],
    blocks: int = 3,
    noise: int = 12,
    seed: int | None = None,
) -> None:
    """Replace every box in the Y, U and V planes (modified in place) by a noisy coarse mosaic.

    `blocks` is the number of blocks across the longer side of a box. Boxes are rounded outwards
    to even pixels so that luma and half-resolution chroma cover exactly the same area.
    """
    y_plane, u_plane, v_plane = planes
    height, width = y_plane.shape
    if seed is None:
        seed = secrets.randbits(64)
    for x1, y1, x2, y2 in boxes:
        # Round outwards to even coordinates: never blur less than asked.
        bx1 = max(0, int(math.floor(x1)) & ~1)
        by1 = max(0, int(math.floor(y1)) & ~1)
        bx2 = min(width, (int(math.ceil(x2)) + 1) & ~1)
        by2 = min(height, (int(math.ceil(y2)) + 1) & ~1)
        bw, bh = bx2 - bx1, by2 - by1
        if bw < 2 or bh < 2:
            continue
        block = max(2.0, max(bw, bh) / max(1, blocks))
        nx, ny = max(1, round(bw / block)), max(1, round(bh / block))
        jitter = None
        if noise:
            rng = np.random.default_rng((seed, nx, ny))
            jitter = rng.integers(-noise, noise + 1, size=(3, ny, nx))
        if jitter is not None:
            jitter[1:] //= 3  # colour noise looks garish; brightness noise does the hiding
        for i, (plane, sub) in enumerate(((y_plane, 1), (u_plane, 2), (v_plane, 2))):
            region = plane[by1 // sub : by2 // sub, bx1 // sub : bx2 // sub]
            small = cv2.resize(region, (nx, ny), interpolation=cv2.INTER_AREA).astype(np.int16)
            if jitter is not None:
                small = np.clip(small + jitter[i], 0, 255)
            region[...] = cv2.resize(
                small.astype(np.uint8),
                (region.shape[1], region.shape[0]),
                interpolation=cv2.INTER_NEAREST,
            )
