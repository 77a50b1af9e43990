"""`station roster photos DIR`: the school's enrolment photos (学籍照片) as reference faces.

Files are named by student number or ID number (`2019000001.jpg`, `110105199801010000.png`), JPEG or PNG,
any size, colour or grey. Each is decoded through the pipeline's trusted decoder (pipeline.decode: truncated,
grey-filled, corrupt, bomb-sized or absurdly shaped files are refused), must show exactly one face, and must
name one roster student. Only the face embedding and a small thumbnail (for the report's side-by-side list)
are kept, in the face book; the school's full-size photo is not copied.

All or nothing per run, as `roster import` is: every bad file is listed with its reason and nothing is
imported, so the registrar fixes the folder and runs again, and never has to find out which students of a
half-imported folder have a reference photo. `skip_invalid` imports the good files and lists the rest.
"""
from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from config.i18n import _
from pipeline.decode import decode_for_analysis
from pipeline.errors import PipelineError
from pipeline.likeness import embed
from station.core.errors import RosterError
from station.core.idnumber import looks_like_id_number, normalise_id_number
from station.store.faces import FaceBook, NewEnrolment
from station.store.models import Subject
from station.store.workspace import Store

log = logging.getLogger(__name__)

SUFFIXES = (".jpg", ".jpeg", ".png")
THUMBNAIL = (150, 200)          # width, height at most: enough to recognise a face beside the take
DECODE_SIDE = 750               # enrolment photos are small; a big scan is decoded at this long side


@dataclass
class PhotoImport:
    """What an import run found: imported (or importable) students and refused files with reasons."""
    folder: str
    imported: list[dict[str, str]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    replaced: int = 0
    written: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"folder": self.folder, "imported": self.imported, "refused": self.refused,
                "replaced": self.replaced, "written": self.written}


def _student(store: Store, stem: str) -> Subject | None:
    """The roster student a file name names: student number, else ID number, else code."""
    name = stem.strip()
    if looks_like_id_number(name.upper()):
        return store.find_subject("id_number", normalise_id_number(name))
    return store.find_subject("student_no", name) or store.find_subject("code", name)


def _thumbnail(rgb) -> bytes:  # type: ignore[no-untyped-def]
    from PIL import Image
    image = Image.fromarray(rgb)
    image.thumbnail(THUMBNAIL, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def read_photo(path: Path, subject: Subject) -> NewEnrolment:
    """One enrolment photo as the book stores it; PipelineError (with the reason) when it cannot be used."""
    data = path.read_bytes()
    decoded = decode_for_analysis(data, DECODE_SIDE)
    found = embed(decoded)
    if not found:
        raise PipelineError(found.reason.zh + " / " + found.reason.en)
    return NewEnrolment(subject.id, subject.code, path.name, hashlib.sha256(data).hexdigest(),
                        _thumbnail(decoded.rgb), found)


def import_photos(store: Store, folder: Path, *, skip_invalid: bool = False, dry_run: bool = False,
                  progress: Callable[[int, int], None] | None = None) -> PhotoImport:
    """Check every photo in `folder` (and its sub-folders), then store them all, or none (see module doc)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    report = PhotoImport(str(folder))
    ready: list[tuple[Path, NewEnrolment]] = []
    claimed: dict[int, list[Path]] = {}
    for n, path in enumerate(files, 1):
        reason = None
        subject = None
        if path.suffix.lower() not in SUFFIXES:
            reason = _("not a JPEG or PNG file")
        else:
            subject = _student(store, path.stem)
            if subject is None:
                reason = _("no student with the number {number} in the roster", number=path.stem)
        if reason is None and subject is not None:
            try:
                ready.append((path, read_photo(path, subject)))
                claimed.setdefault(subject.id, []).append(path)
            except (PipelineError, OSError) as exc:
                reason = str(exc)
        if reason is not None:
            report.refused.append({"file": str(path.relative_to(folder)), "reason": reason})
        if progress:
            progress(n, len(files))
    for subject_id, paths in claimed.items():
        if len(paths) > 1:                         # which one is the student? refuse them all
            names = ", ".join(str(p.relative_to(folder)) for p in paths)
            for p in paths:
                report.refused.append({"file": str(p.relative_to(folder)),
                                       "reason": _("several photos for one student: {files}", files=names)})
            ready = [(p, e) for p, e in ready if e.subject_id != subject_id]
    report.refused.sort(key=lambda r: r["file"])
    report.imported = [{"file": str(p.relative_to(folder)), "code": e.subject_code} for p, e in ready]
    if not files:
        raise RosterError(_("no photos in {folder}", folder=folder))
    if (report.refused and not skip_invalid) or dry_run or not ready:
        return report
    with FaceBook.open(store.workspace) as book:
        report.replaced = sum(book.enrolment(e.subject_id) is not None for _p, e in ready)
        book.put_enrolments([e for _p, e in ready], when=store.clock.now())
    report.written = True
    log.info("enrolment photos: %d imported, %d refused", len(ready), len(report.refused))
    return report
