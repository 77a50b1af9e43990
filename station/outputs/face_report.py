"""For the registrar: accepted photos whose face is far from the student's enrolment photo (学籍照片).

The registry compares every registration photo with the enrolment photo months later and blocks the record
when they differ; this list lets the registrar look at the doubtful ones first, with both pictures side by
side. Read over the same merge as the report (one row per person, the exported take); the face of the take
and the enrolment photo come from the face book of the workspaces (nothing is embedded here). Names appear
only in the HTML the registrar opens; distances are the only face data shown.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from config.i18n import _
from pipeline.likeness import distance
from station.core.idnumber import mask_code
from station.faces.chair import identity_keys
from station.outputs.merge import choose, gather, open_sources
from station.store.faces import EnrolmentFace, FaceBook
from station.store.queries import ReadModel


@dataclass(frozen=True)
class LowLikeness:
    """One accepted photo far from its student's enrolment photo."""
    name: str
    code: str                      # masked when it is an ID number
    college: str
    class_name: str
    station_id: str
    take_seq: int
    distance: float
    limit: float
    photo: Path | None
    enrolment: Path


def low_likeness(workspaces: Sequence[str | Path], colleges: Sequence[str] = ()) -> list[LowLikeness]:
    """Accepted (exported) takes farther than `[likeness] enrolment_warn_distance` from the enrolment photo,
    farthest first. Takes or students without stored faces are left out."""
    sources = open_sources([Path(w) for w in workspaces])
    books = {s.index: FaceBook.open(s.workspace, create=False) for s in sources}
    try:
        enrolled: dict[str, EnrolmentFace] = {}
        for src in sources:
            book = books[src.index]
            if book is None:
                continue
            with ReadModel.open(src.workspace) as store:
                for face in book.enrolments():
                    for key in identity_keys(store.subject(face.subject_id)):
                        enrolled.setdefault(key, face)
        if not enrolled:
            return []
        found = []
        for person in gather(sources):
            winner, _conflict = choose(person, prefer_newest=True)
            if winner is None or (colleges and person.display(winner).college not in colleges):
                continue
            book = books[winner.record.source.index]
            subject = person.display(winner).subject
            ref = next((enrolled[k] for k in sorted(identity_keys(subject)) if k in enrolled), None)
            take_face = book.take_face(winner.take_id) if book is not None else None
            if ref is None or take_face is None:
                continue
            limit = winner.record.source.preset.likeness.enrolment_warn_distance
            d = distance(take_face, ref.embedding)
            if d > limit:
                found.append(LowLikeness(subject.name or "", mask_code(subject.code), person.display(winner).college,
                                         subject.class_name or "", winner.station_id, winner.seq, d, limit,
                                         winner.photo_path, ref.thumbnail))
        return sorted(found, key=lambda r: -r.distance)
    finally:
        for book in books.values():
            if book is not None:
                book.close()


def low_likeness_html(workspaces: Sequence[str | Path], colleges: Sequence[str] = ()) -> str:
    """The report's section: each doubtful photo beside the enrolment photo (empty when there is nothing
    to compare: no enrolment photos imported)."""
    from station.outputs.contact_sheet import thumbnail_data_uri
    rows = low_likeness(workspaces, colleges)
    esc = html.escape
    if not rows and not _any_enrolment(workspaces):
        return ""
    parts = [f"<h2>{esc(_('Accepted photos unlike the enrolment photo (check before upload)'))}</h2>"]
    if not rows:
        parts.append(f"<p>{esc(_('(none)'))}</p>")
        return "\n".join(parts)
    parts.append('<div class="sheet">')
    for r in rows:
        pics = []
        for label, path in ((_("this session"), r.photo), (_("enrolment photo"), r.enrolment)):
            uri = thumbnail_data_uri(path)
            pics.append(f'<figure><img src="{uri}" alt="{esc(label)}"><figcaption>{esc(label)}</figcaption></figure>'
                        if uri else f'<div class="missing-photo">{esc(label)}</div>')
        caption = _("{name} {code}, {college} {klass}: distance {score} (warned above {limit}), {station} take {seq}",
                    name=r.name, code=r.code, college=r.college, klass=r.class_name, score=f"{r.distance:.2f}",
                    limit=f"{r.limit:.2f}", station=r.station_id, seq=r.take_seq)
        parts.append(f'<div class="pair" style="display:flex;gap:6px;flex-wrap:wrap;align-items:flex-end">'
                     f'{"".join(pics)}<p style="width:150px">{esc(caption)}</p></div>')
    parts.append("</div>")
    return "\n".join(parts)


def _any_enrolment(workspaces: Sequence[str | Path]) -> bool:
    from station.store.faces import face_counts
    return any(face_counts(Path(w))["enrolment"] for w in workspaces)
