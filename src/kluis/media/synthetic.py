"""Short test clips of real faces moving on known paths, with the true face box on every frame.

Tests and the benchmark need footage whose faces are known exactly. The faces are real
photographs that ship with scikit-image (the astronaut Eileen Collins and the cameraman), cut out
and moved across a textured background, one of them on a curved path and one walking in from the
edge; the clip has a steady tone as its sound. scikit-image is imported only here, so the rest of
the package does not need it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import cv2
import numpy as np

from kluis.media.plan import Box

# Face boxes inside the source photographs (x1, y1, x2, y2), set by hand: brow to chin, ear to ear.
ASTRONAUT_CROP = (140, 20, 310, 230)
ASTRONAUT_FACE = (182, 62, 268, 176)
CAMERAMAN_CROP = (160, 70, 300, 250)
CAMERAMAN_FACE = (205, 122, 256, 195)

# The share of a face that must be inside the picture for it to count as visible.
VISIBLE_SHARE = 0.5


@dataclass
class Actor:
    """One face sprite and its path: position(t in seconds) -> top-left corner, at 640x360."""

    name: str
    sprite: str  # "astronaut", "cameraman" or "astronaut-mirrored"
    scale: float
    position: Callable[[float], tuple[float, float]]
    appears: float = 0.0
    disappears: float = math.inf


@dataclass
class Clip:
    """A generated clip and its ground truth: faces[name][frame] is a box or None (not visible)."""

    path: str
    width: int
    height: int
    fps: int
    frames: int
    audio_rate: int
    tone_hz: float
    faces: dict[str, list[Box | None]] = field(default_factory=dict)


def default_actors() -> list[Actor]:
    """Three people on paths that never cross for at least 6 s: one walking steadily (the
    requester in tests), one bobbing on a curve, one walking in from the right edge after 1 s."""
    return [
        Actor("requester", "astronaut", 0.6, lambda t: (20 + 35 * t, 20 + 10 * math.sin(t * 4.2))),
        Actor(
            "bystander",
            "cameraman",
            0.8,
            lambda t: (500 - 25 * t, 190 + 18 * math.sin(t * 2 * math.pi)),
        ),
        Actor("newcomer", "astronaut-mirrored", 0.55, lambda t: (660 - 60 * (t - 1.0), 12), 1.0),
    ]


def _sprites() -> dict[str, tuple[np.ndarray, Box]]:
    from skimage import data

    astro = data.astronaut()
    x1, y1, x2, y2 = ASTRONAUT_CROP
    a = astro[y1:y2, x1:x2]
    a_face = tuple(float(v) for v in np.subtract(ASTRONAUT_FACE, (x1, y1, x1, y1)))
    cam = np.dstack([data.camera()] * 3)
    cx1, cy1, cx2, cy2 = CAMERAMAN_CROP
    c = cam[cy1:cy2, cx1:cx2]
    c_face = tuple(float(v) for v in np.subtract(CAMERAMAN_FACE, (cx1, cy1, cx1, cy1)))
    # Mirrored and tinted, so it is a different-looking person to a viewer.
    m = np.ascontiguousarray(a[:, ::-1] * np.array([0.8, 0.95, 1.1])).clip(0, 255).astype(np.uint8)
    w = a.shape[1]
    m_face = (w - a_face[2], a_face[1], w - a_face[0], a_face[3])
    return {"astronaut": (a, a_face), "cameraman": (c, c_face), "astronaut-mirrored": (m, m_face)}


def _background(width: int, height: int) -> np.ndarray:
    from skimage import data

    brick = cv2.resize(data.brick(), (width, height))
    tint = np.array([0.55, 0.6, 0.7]) * brick[..., None] + np.array([60, 50, 40])
    return tint.clip(0, 255).astype(np.uint8)


def make_clip(
    path: str | os.PathLike,
    *,
    width: int = 640,
    height: int = 360,
    seconds: float = 3.0,
    fps: int = 25,
    actors: list[Actor] | None = None,
    audio_rate: int = 48000,
    tone_hz: float = 440.0,
) -> Clip:
    """Write an H.264 + AAC MP4 of moving faces and return its per-frame ground truth.

    Paths are laid out for 640x360 and scaled to the requested size, so the 720p benchmark
    clip shows the same scene at twice the resolution.
    """
    actors = default_actors() if actors is None else actors
    sprites = _sprites()
    k = width / 640
    background = _background(width, height)
    frames = round(seconds * fps)
    clip = Clip(str(path), width, height, fps, frames, audio_rate, tone_hz)
    for actor in actors:
        clip.faces[actor.name] = []
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "18"}
        aus = out.add_stream("aac", rate=audio_rate)
        aus.layout = "stereo"
        for i in range(frames):
            t = i / fps
            img = background.copy()
            painted: list[tuple[str, Box | None, Box]] = []  # (name, face, sprite rectangle)
            for actor in actors:
                if not actor.appears <= t < actor.disappears:
                    clip.faces[actor.name].append(None)
                    continue
                sprite, face = sprites[actor.sprite]
                s = actor.scale * k
                sp = cv2.resize(sprite, (round(sprite.shape[1] * s), round(sprite.shape[0] * s)))
                px, py = actor.position(t)
                px, py = round(px * k), round(py * k)
                box = _paste(img, sp, px, py, tuple(v * s for v in face))
                painted.append((actor.name, box, (px, py, px + sp.shape[1], py + sp.shape[0])))
            for n, (name, box, _) in enumerate(painted):
                # A face hidden behind a person drawn later is not visible: no ground truth.
                later = [rect for _, _, rect in painted[n + 1 :]]
                if box is not None and covered(box, later, 1 - VISIBLE_SHARE):
                    box = None
                clip.faces[name].append(box)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        samples = int(seconds * audio_rate)
        block = 1024
        for start in range(0, samples, block):
            n = min(block, samples - start)
            tt = (start + np.arange(n)) / audio_rate
            tone = (0.3 * np.sin(2 * np.pi * tone_hz * tt)).astype(np.float32)
            af = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
            af.sample_rate = audio_rate
            af.pts = start
            out.mux(aus.encode(af))
        out.mux(aus.encode(None))
    return clip


def _paste(img: np.ndarray, sprite: np.ndarray, px: int, py: int, face: Box) -> Box | None:
    """Draw the sprite with its top-left at (px, py); return the visible face box or None."""
    h, w = img.shape[:2]
    sh, sw = sprite.shape[:2]
    x1, y1, x2, y2 = max(0, px), max(0, py), min(w, px + sw), min(h, py + sh)
    if x2 > x1 and y2 > y1:
        img[y1:y2, x1:x2] = sprite[y1 - py : y2 - py, x1 - px : x2 - px]
    fx1, fy1, fx2, fy2 = face[0] + px, face[1] + py, face[2] + px, face[3] + py
    vx1, vy1, vx2, vy2 = max(0, fx1), max(0, fy1), min(w, fx2), min(h, fy2)
    if vx2 <= vx1 or vy2 <= vy1:
        return None
    share = (vx2 - vx1) * (vy2 - vy1) / ((fx2 - fx1) * (fy2 - fy1))
    return (vx1, vy1, vx2, vy2) if share >= VISIBLE_SHARE else None


def covered(face: Box, boxes: list[Box], tolerance: float = 0.02) -> bool:
    """True when the union of `boxes` covers the face box, up to `tolerance` of its area.

    Measured on a pixel grid, so several overlapping boxes can cover a face together.
    """
    x1, y1, x2, y2 = (
        int(math.floor(face[0])),
        int(math.floor(face[1])),
        int(math.ceil(face[2])),
        int(math.ceil(face[3])),
    )
    mask = np.zeros((y2 - y1, x2 - x1), dtype=bool)
    for bx1, by1, bx2, by2 in boxes:
        a, b = max(0, math.floor(bx1) - x1), max(0, math.floor(by1) - y1)
        c, d = min(x2 - x1, math.ceil(bx2) - x1), min(y2 - y1, math.ceil(by2) - y1)
        if c > a and d > b:
            mask[b:d, a:c] = True
    return mask.size == 0 or 1.0 - mask.mean() <= tolerance


def detail_correlation(original: np.ndarray, redacted: np.ndarray, box: Box) -> float:
    """How much of a face's fine detail survives in the redacted picture, from 0 to 1.

    Both crops are reduced to their detail (the picture minus a blur at a twelfth of the face
    size: eyes, mouth, edges) and correlated. An unaltered face scores near 1 (only codec noise
    differs); a blurred or pixelated face near 0, because the mosaic's block edges do not line up
    with the face's features. The same measure judges Kluis and deface in the benchmark.
    """
    x1, y1, x2, y2 = (round(v) for v in box)
    a = _gray(original[y1:y2, x1:x2])
    b = _gray(redacted[y1:y2, x1:x2])
    if a.size == 0:
        return 0.0
    sigma = max(1.0, max(a.shape) / 12)
    da = a - cv2.GaussianBlur(a, (0, 0), sigma)
    db = b - cv2.GaussianBlur(b, (0, 0), sigma)
    denominator = float(np.sqrt((da * da).sum() * (db * db).sum()))
    return float((da * db).sum() / denominator) if denominator > 0 else 0.0


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)
