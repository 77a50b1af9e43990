"""Colour distances at the speed the verdict needs.

WHY: `np.linalg.norm(lab - ref, axis=-1)` on a few hundred thousand Lab pixels reduces along the last, strided
axis; three plain per-channel products summed in the same order give the same float32 numbers bit for bit
(tests/test_pipeline.py checks it) at about a third of the cost.
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
