"""A face embedding, its distance to another, and its storage form.

An embedding is personal data (biometric): the station keeps it only in the owner-only workspace, never in an
export, a report file, a log line or an error message. Nothing here logs or prints a vector, and `repr` shows
only the face box.
"""
from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass, field

import numpy as np

from pipeline.errors import PipelineError

#: which network made the vector: vectors of different models are not comparable, so storage records it
MODEL_ID = "dlib-resnet-v1"
DIMENSIONS = 128
_MAGIC = b"CSFE"          # Capture Station Face Embedding
_VERSION = 1
_HEAD = struct.Struct("<4sBB")           # magic, format version, length of the model id
_BOX = struct.Struct("<4i")


class LikenessError(PipelineError):
    """Stored face data that cannot be used: damaged, or made by another model (re-embed from the photos)."""


@dataclass(frozen=True, eq=False)
class Embedding:
    """128 float32 numbers that place a face so that the same person lands close (Euclidean distance), plus
    the face box it came from (upright full-image pixels: x0, y0, x1, y1) so a screen can show which face."""
    vector: np.ndarray = field(repr=False)
    box: tuple[int, int, int, int]
    model: str = MODEL_ID

    def __post_init__(self) -> None:
        vec = np.array(self.vector, dtype=np.float32).reshape(-1)       # own copy: frozen for real
        if vec.shape != (DIMENSIONS,) or not np.all(np.isfinite(vec)):
            raise LikenessError(f"a face embedding has {DIMENSIONS} finite numbers, got shape {vec.shape}")
        vec.setflags(write=False)
        object.__setattr__(self, "vector", vec)
        object.__setattr__(self, "box", tuple(int(v) for v in self.box))

    def to_bytes(self) -> bytes:
        """Compact storage form (~550 bytes). Store it owner-only; never export or log it."""
        model = self.model.encode("ascii")
        return _HEAD.pack(_MAGIC, _VERSION, len(model)) + model + _BOX.pack(*self.box) + self.vector.astype("<f4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Embedding:
        """The embedding `to_bytes` wrote; LikenessError when damaged or made by another model."""
        if len(data) < _HEAD.size or data[:4] != _MAGIC:
            raise LikenessError("stored face data is not a face embedding")
        _, version, n = _HEAD.unpack_from(data)
        if version != _VERSION:
            raise LikenessError(f"stored face data has format version {version}, this program reads {_VERSION}")
        model = data[_HEAD.size:_HEAD.size + n].decode("ascii", "replace")
        if model != MODEL_ID:
            raise LikenessError(f"stored face data was made by model {model!r}, not {MODEL_ID!r}",
                                hint="delete the stored face data and compute it again from the photos")
        start = _HEAD.size + n
        if len(data) != start + _BOX.size + 4 * DIMENSIONS:
            raise LikenessError("stored face data is truncated or has extra bytes")
        box = _BOX.unpack_from(data, start)
        vector = np.frombuffer(data, "<f4", DIMENSIONS, start + _BOX.size)
        return cls(vector, box, model)

    def to_text(self) -> str:
        """Base64 of `to_bytes`, for text columns (SQLite TEXT, JSON in the workspace)."""
        return base64.b64encode(self.to_bytes()).decode("ascii")

    @classmethod
    def from_text(cls, text: str) -> Embedding:
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise LikenessError("stored face data is not valid base64") from exc
        return cls.from_bytes(raw)


def distance(a: Embedding, b: Embedding) -> float:
    """Euclidean distance: 0 for the same picture, small for the same person; the preset's `[likeness]`
    thresholds are in these units (dlib's model was trained so that 0.6 separates people on LFW)."""
    if a.model != b.model:
        raise LikenessError(f"cannot compare faces from models {a.model!r} and {b.model!r}")
    return float(np.linalg.norm(a.vector - b.vector))
