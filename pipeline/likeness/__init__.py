"""Is this the right person? Face embeddings, their comparison, and an index of many stored faces.

Pure functions for the station: `embed` turns a picture into an `Embedding` (or `NoFace` with the reason),
`distance` compares two, `FaceIndex` + `match` compare one with thousands at once. Thresholds live in the format
preset's `[likeness]` table (config.formats.Likeness), measured by bench/bench_faces.py.

Embeddings are personal data (biometric): store them in the owner-only workspace only, never export them, never
log them. Importing this package is cheap; dlib and the models load on the first `embed` (or `warm_up`).
"""
from __future__ import annotations

from pipeline.likeness.face import NoFace, embed, embed_mesh, warm_up
from pipeline.likeness.index import FaceIndex, Match, match
from pipeline.likeness.vector import MODEL_ID, Embedding, LikenessError, distance

__all__ = ["embed", "embed_mesh", "warm_up", "NoFace", "Embedding", "distance", "FaceIndex", "Match", "match",
           "LikenessError", "MODEL_ID"]
