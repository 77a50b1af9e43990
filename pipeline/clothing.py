"""The top the student wears and the shoulders under it, found below the chin wherever the neck ends.

The shoulders are the pixels in a box beside and below the neck that are neither backdrop, skin nor hair:
that is the top, however long the neck or low the collar. Its colour family (hue of the chromatic pixels)
is compared with the preset's forbidden families (notice 001: blue, yellow, green, purple), and its distance
to the backdrop with the "like the background" band. On a plain backdrop the shoulder line is where the
backdrop ends at each side, and its slope is the shoulders' tilt.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from pipeline.colour import lab_distance, pixels_where

# hue ranges in degrees (HSV hue of sRGB), chroma above CHROMA_MIN and lightness above DARK_L (navy and
# black tops are dark, not "blue"): the colour words of the school notices
FAMILIES: dict[str, tuple[tuple[float, float], ...]] = {
    "yellow": ((40.0, 70.0),),
    "green": ((70.0, 165.0),),
    "blue": ((165.0, 255.0),),
    "purple": ((255.0, 320.0),),
    "red": ((320.0, 360.0), (0.0, 15.0)),
    "orange": ((15.0, 40.0),),
}
CHROMA_MIN = 15.0
DARK_L = 25.0


def top_pixels(rgb: np.ndarray, lab: np.ndarray, backdrop: np.ndarray, skin: np.ndarray, hair: np.ndarray,
               cx: float, chin_y: float, iod: float, threshold: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(RGB, Lab) of the top's pixels: shoulders box minus backdrop, skin and hair; None when the frame has
    no shoulders (cut at the chin) or nothing but skin and backdrop there (bare shoulders)."""
    h, w = lab.shape[:2]
    y0, y1 = int(chin_y + 0.45 * iod), int(min(h, chin_y + 1.6 * iod))
    if y1 - y0 < 4:
        return None
    boxes = []
    for x0, x1 in ((cx - 1.6 * iod, cx - 0.55 * iod), (cx + 0.55 * iod, cx + 1.6 * iod)):
        xa, xb = int(max(0, x0)), int(min(w, x1))
        if xb - xa >= 4:
            boxes.append((slice(y0, y1), slice(xa, xb)))
    if not boxes:
        return None
    lab_px = np.concatenate([lab[b].reshape(-1, 3) for b in boxes])
    rgb_px = np.concatenate([rgb[b].reshape(-1, 3) for b in boxes])
    keep = (lab_distance(lab_px, backdrop) > threshold) & (lab_distance(lab_px, skin) > 14) \
        & (lab_distance(lab_px, hair) > 10)
    if keep.sum() < max(30, 0.08 * len(lab_px)):
        return None
    return pixels_where(rgb_px, keep), pixels_where(lab_px, keep)


def family_shares(rgb_px: np.ndarray, lab_px: np.ndarray) -> dict[str, float]:
    """Share of the top's pixels in each colour family (the rest are neutral: black, white, grey, navy)."""
    hsv = cv2.cvtColor(rgb_px.reshape(-1, 1, 3).astype(np.uint8), cv2.COLOR_RGB2HSV_FULL).reshape(-1, 3)
    hue = hsv[:, 0].astype(np.float64) * 360.0 / 256.0
    chroma = np.hypot(lab_px[:, 1], lab_px[:, 2])
    coloured = (chroma >= CHROMA_MIN) & (lab_px[:, 0] >= DARK_L)
    out = {}
    for name, ranges in FAMILIES.items():
        inside = np.zeros(len(hue), bool)
        for lo, hi in ranges:
            inside |= (hue >= lo) & (hue < hi)
        out[name] = float(np.mean(inside & coloured))
    return out


def shoulder_tilt(lab: np.ndarray, backdrop: np.ndarray, threshold: float, cx: float, chin_y: float,
                  iod: float) -> float | None:
    """Degrees the shoulder line is off level: in columns 1.5-2.3 IOD either side of the face centre, the
    first row below the chin that is not backdrop. None when a side is out of the frame or never leaves the
    backdrop (no shoulders in view)."""
    h, w = lab.shape[:2]
    y0, y1 = int(max(0, chin_y - 0.2 * iod)), int(min(h, chin_y + 2.5 * iod))
    points = []
    for side in (-1, 1):
        for k in np.linspace(1.5, 2.3, 5):
            x = int(cx + side * k * iod)
            if not 0 <= x < w or y1 - y0 < 5:
                return None
            col = lab_distance(lab[y0:y1, x], backdrop) > threshold
            run = np.convolve(col.astype(np.int8), np.ones(3, np.int8), "valid") == 3
            hits = np.nonzero(run)[0]
            if hits.size == 0:
                return None
            points.append((x, y0 + hits[0]))
    pts = np.asarray(points, np.float64)
    left, right = pts[pts[:, 0] < cx], pts[pts[:, 0] > cx]
    dy = np.median(right[:, 1]) - np.median(left[:, 1])
    dx = np.median(right[:, 0]) - np.median(left[:, 0])
    return math.degrees(math.atan2(dy, dx))
