"""Many stored embeddings in one float32 matrix, so a probe is compared with all of them in one product.

For 20,000 accepted faces the matrix is 20,000 x 128 float32 = 10 MB; a comparison is one matrix-vector
product (~1 ms). Keys are whatever the caller identifies a stored face by (a take id, a student code); one key
may have several rows (several takes of one student).
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from pipeline.likeness.vector import DIMENSIONS, MODEL_ID, Embedding, LikenessError

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Match(Generic[K]):
    key: K
    distance: float


class FaceIndex(Generic[K]):
    """Keys with their embeddings. Not thread-safe for writes: add/remove from one thread (reads may overlap)."""

    def __init__(self, items: Iterable[tuple[K, Embedding]] = ()) -> None:
        self._keys: list[K] = []
        self._rows = np.empty((64, DIMENSIONS), np.float32)    # capacity doubles: adding one row is O(1)
        self._norms = np.empty(64, np.float32)                 # squared norms: distance needs one product
        for key, embedding in items:
            self.add(key, embedding)

    def __len__(self) -> int:
        return len(self._keys)

    def keys(self) -> list[K]:
        return list(self._keys)

    def add(self, key: K, embedding: Embedding) -> None:
        n = len(self._keys)
        if n == len(self._rows):
            self._rows = np.concatenate([self._rows, np.empty_like(self._rows)])
            self._norms = np.concatenate([self._norms, np.empty_like(self._norms)])
        v = _vector(embedding)
        self._rows[n] = v
        self._norms[n] = v @ v
        self._keys.append(key)

    def remove(self, key: K) -> int:
        """Drop every row stored under `key`; returns how many."""
        keep = [i for i, k in enumerate(self._keys) if k != key]
        dropped = len(self._keys) - len(keep)
        if dropped:
            self._rows[:len(keep)] = self._rows[keep]
            self._norms[:len(keep)] = self._norms[keep]
            self._keys = [self._keys[i] for i in keep]
        return dropped

    def distances(self, probe: Embedding) -> np.ndarray:
        """Euclidean distance from `probe` to every row, in insertion order."""
        n = len(self._keys)
        p = _vector(probe)
        d2 = self._norms[:n] + np.float32(p @ p) - 2.0 * (self._rows[:n] @ p)
        return np.sqrt(np.maximum(d2, 0.0))

    def key_at(self, row: int) -> K:
        return self._keys[row]


def _vector(e: Embedding) -> np.ndarray:
    if e.model != MODEL_ID:
        raise LikenessError(f"cannot index a face from model {e.model!r} (this program uses {MODEL_ID!r})")
    return e.vector


def match(probe: Embedding, gallery: FaceIndex[K], threshold: float, *, limit: int | None = None) -> list[Match[K]]:
    """Stored faces within `threshold` of `probe`, nearest first (at most `limit`)."""
    if not len(gallery):
        return []
    d = gallery.distances(probe)
    hits = np.nonzero(d <= threshold)[0]
    hits = hits[np.argsort(d[hits], kind="stable")]
    if limit is not None:
        hits = hits[:limit]
    return [Match(gallery.key_at(int(i)), float(d[i])) for i in hits]
