"""The export audit: two different students whose exported photos are the same face.

Run by the export after it has chosen one accepted take per person, before anything is written: every
exported photo's face, as the face book of its workspace recorded it at the chair, is compared with every
other one. A pair within the preset's `same_face_distance` refuses the export, naming both students (ID
numbers masked), unless `--allow-same-face STUDENT` names one of them (twins, or a checked case); allowed
pairs are journalled with the export.

Photos without a stored face (a workspace from before face checks, or after `station purge-faces`) are not
embedded here: purging is the school's decision to stop processing those faces, and the export must not
quietly compute them again. The export says how many photos it could not audit.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

from config.formats import Likeness
from config.i18n import _
from pipeline.likeness import Embedding
from station.core.idnumber import mask_code
from station.faces.chair import identity_keys
from station.store.faces import FaceBook
from station.store.models import Subject

log = logging.getLogger(__name__)

BLOCK = 1024       # rows of the pairwise distance matrix computed at once (1024 x N float32)


class Progress(Protocol):
    def start(self, label: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...


@dataclass(frozen=True)
class Exported:
    """One photo the export is about to write, as the audit needs it."""
    subject: Subject
    college: str
    workspace: Path
    station_id: str
    take_id: int
    photo: Path | None


def _who(item: Exported) -> dict[str, Any]:
    s = item.subject
    return {"code": mask_code(s.code), "student_no": s.student_no, "name": s.name, "college": item.college,
            "station_id": item.station_id, "take_id": item.take_id}


def faces_of(items: Sequence[Exported], progress: Progress) -> list[Embedding | None]:
    """Each photo's face as its workspace's face book has it (None: not stored)."""
    books: dict[Path, FaceBook | None] = {}
    out: list[Embedding | None] = []
    progress.start("faces", len(items))
    try:
        for item in items:
            if item.workspace not in books:
                books[item.workspace] = FaceBook.open(item.workspace, create=False)
            book = books[item.workspace]
            out.append(book.take_face(item.take_id) if book is not None else None)
            progress.advance()
    finally:
        for book in books.values():
            if book is not None:
                book.close()
    return out


def same_face_pairs(faces: Sequence[Embedding | None], threshold: float) -> list[tuple[int, int, float]]:
    """(i, j, distance) for i < j whose faces are within `threshold`, nearest first; blockwise, so 20,000
    photos need a 1024 x 20,000 matrix at a time, not 20,000 x 20,000."""
    rows = [i for i, f in enumerate(faces) if f is not None]
    if len(rows) < 2:
        return []
    m = np.stack([faces[i].vector for i in rows]).astype(np.float32)      # type: ignore[union-attr]
    norms = np.einsum("ij,ij->i", m, m)
    found = []
    for start in range(0, len(rows), BLOCK):
        block = m[start:start + BLOCK]
        d2 = norms[start:start + BLOCK, None] + norms[None, :] - 2.0 * (block @ m.T)
        close = np.argwhere(d2 <= threshold * threshold)
        for a, b in close:
            i, j = start + int(a), int(b)
            if i < j:
                found.append((rows[i], rows[j], float(np.sqrt(max(d2[a, b], 0.0)))))
    return sorted(found, key=lambda p: p[2])


@dataclass
class AuditResult:
    refused: list[dict[str, Any]]
    allowed: list[dict[str, Any]]
    unaudited: int                 # exported photos with no stored face


def audit(items: Sequence[Exported], likeness: Likeness, allow: Sequence[str], progress: Progress) -> AuditResult:
    """The same-face pairs among the exported photos, refused or allowed."""
    allowed_keys = {a.strip() for a in allow if a.strip()}
    faces = faces_of(items, progress)
    refused, allowed = [], []
    for i, j, dist in same_face_pairs(faces, likeness.same_face_distance):
        a, b = items[i], items[j]
        if identity_keys(a.subject) & identity_keys(b.subject):
            continue                                # one person after all (the merge keeps them apart only by status)
        entry = {"students": [_who(a), _who(b)], "distance": round(dist, 3)}
        if (identity_keys(a.subject) | identity_keys(b.subject)) & allowed_keys:
            allowed.append({**entry, "codes": [a.subject.code, b.subject.code]})
        else:
            refused.append(entry)
    log.info("same-face audit: %d photos, %d refused pairs, %d allowed", len(items), len(refused), len(allowed))
    return AuditResult(refused, allowed, sum(f is None for f in faces))


def describe_pair(entry: dict[str, Any]) -> str:
    """One line naming both students (masked codes), for the export's error output."""
    a, b = entry["students"]
    return _("{name_a} {code_a} ({station_a} take {take_a}) and {name_b} {code_b} ({station_b} take {take_b}),"
             " distance {score}", name_a=a["name"] or "-", code_a=a["code"], station_a=a["station_id"],
             take_a=a["take_id"], name_b=b["name"] or "-", code_b=b["code"], station_b=b["station_id"],
             take_b=b["take_id"], score=f"{entry['distance']:.2f}")


def check_export(items: Sequence[Any], sources: Sequence[Any], allow: Sequence[str], progress: Progress
                 ) -> AuditResult:
    """The export's hook: its planned items (station.outputs.export._Item) audited at the first workspace's
    `[likeness]` threshold."""
    exported = [Exported(it.record.subject, it.college, it.cand.record.source.workspace, it.cand.station_id,
                         it.cand.take_id, it.cand.photo_path) for it in items]
    return audit(exported, sources[0].preset.likeness, allow, progress)
