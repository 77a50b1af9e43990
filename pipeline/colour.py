"""Colour distances and pixel picks at the speed the verdict needs.

WHY: `np.linalg.norm(lab - ref, axis=-1)` on a few hundred thousand Lab pixels reduces along the last, strided
axis; three plain per-channel products summed in the same order give the same float32 numbers bit for bit
(tests/test_pipeline.py checks it) at about a third of the cost. Likewise `picture[mask]` copies a pixel's three
values at a time; `np.compress` over the pixel rows gives the same array ~6x faster (the face's pixels from
its box: 2.6 against 0.4 ms).
"""
from __future__ import annotations

import numpy as np


def lab_distance(lab: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Euclidean distance of every pixel of `lab` (... x 3) from the colour `ref` (3,): what
    np.linalg.norm(lab - ref, axis=-1) returns, computed channel by channel."""
    ref = np.asarray(ref)            # no cast: the same type promotion as `lab - ref`
    d0 = lab[..., 0] - ref[0]
    total = d0 * d0
    d1 = lab[..., 1] - ref[1]
    total += d1 * d1
    d2 = lab[..., 2] - ref[2]
    total += d2 * d2
    return np.sqrt(total)


def pixels_where(picture: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The pixels (N x channels) of `picture` (... x channels) where `mask` (its shape without the channels;
    bool, or 0 and 1) is set, in reading order: what picture[mask.astype(bool)] returns."""
    rows = picture.reshape(-1, picture.shape[-1])
    return np.compress(np.asarray(mask, dtype=bool).ravel(), rows, axis=0)
