"""At the chair: after a take's verdict, is this the face of the student it is bound to?

Three checks, each a warning that needs the operator's override to accept (`"override": true`):
- same face, other student: the face matches an ACCEPTED take of another student (this workspace and the
  `--from` workspaces) -- "this face was accepted as 张三 202201010003 (No. 12) at 10:14";
- different face, same student: a re-shoot whose face is far from the student's earlier takes;
- enrolment photo: the face is far from the student's enrolment photo (学籍照片), or matches another
  student's enrolment photo.
Thresholds come from the preset's `[likeness]` (measured by bench/bench_faces.py). The comparison against
every stored face is one matrix product over an index kept per workspace and grown incrementally, so a take
costs one embedding plus ~1 ms. Names appear only in the warning text the operator sees; logs get take ids.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from config.formats import Likeness
from config.i18n import N_, in_language
from pipeline.likeness import Embedding, FaceIndex, distance, embed, match
from station.store.faces import FaceBook, acceptance
from station.store.models import Subject, Take
from station.store.queries import ReadModel

log = logging.getLogger(__name__)

SAME_FACE_OTHER = "same_face_other"
DIFFERENT_FACE_SAME_STUDENT = "different_face_same_student"
ENROLMENT_MISMATCH = "enrolment_mismatch"
ENROLMENT_OF_OTHER = "enrolment_of_other"
FACE_CODES = (SAME_FACE_OTHER, DIFFERENT_FACE_SAME_STUDENT, ENROLMENT_MISMATCH, ENROLMENT_OF_OTHER)

MSG_SAME_FACE = N_("this face was accepted as {name} {code} (No. {no}) at {time}")
MSG_SAME_FACE_STATION = N_("this face was accepted as {name} {code} (No. {no}) at {time} at station {station}")
MSG_DIFFERENT_FACE = N_("this face differs from {name}'s earlier take {take} (distance {score})")
MSG_ENROLMENT = N_("this face differs from {name}'s enrolment photo (distance {score}, warned above {limit})")
MSG_ENROLMENT_OTHER = N_("this face matches the enrolment photo of {name} {code} (distance {score})")

#: at most this many "same face" warnings per take (the nearest ones)
MAX_SAME_FACE = 2


def identity_keys(subject: Subject) -> set[str]:
    """The keys that make two subject records one person (as the multi-workspace merge unites them)."""
    return {k.strip() for k in (subject.student_no, subject.id_number, subject.code) if k and k.strip()}


def face_warning(kind: str, message: str, /, *, value: float, band: dict[str, float], **fields: Any
                 ) -> dict[str, Any]:
    """A verdict warning in the pipeline's shape, flagged as needing the operator's override to accept."""
    return {"code": kind, "zh": in_language("zh", message, **fields), "en": in_language("en", message, **fields),
            "level": "warn", "override": True, "measure": "face_distance", "value": round(float(value), 3),
            "band": band}


# ---------------------------------------------------------------------------------------------- indexes
@dataclass
class _Cached:
    book_id: str
    mark: Any
    index: FaceIndex[int]


_CACHE: dict[tuple[str, Path], _Cached] = {}
_LOCK = threading.Lock()


def take_index(book: FaceBook) -> FaceIndex[int]:
    """Every take face of the book, keyed by take id: loaded once per process, then grown by new rows."""
    key = ("takes", book.folder.resolve())
    book_id = book.book_id
    cached = _CACHE.get(key)
    if cached is None or cached.book_id != book_id:
        cached = _CACHE[key] = _Cached(book_id, 0, FaceIndex())
    for rowid, take_id, embedding in book.take_faces_after(cached.mark):
        cached.index.add(take_id, embedding)
        cached.mark = rowid
    return cached.index


def enrolment_index(book: FaceBook) -> FaceIndex[int]:
    """Every enrolment face of the book, keyed by subject id (reloaded when an import changed them)."""
    key = ("enrolment", book.folder.resolve())
    mark = book.enrolment_mark()
    cached = _CACHE.get(key)
    if cached is None or cached.book_id != book.book_id or cached.mark != mark:
        cached = _CACHE[key] = _Cached(book.book_id, mark,
                                       FaceIndex((e.subject_id, e.embedding) for e in book.enrolments()))
    return cached.index


# ---------------------------------------------------------------------------------------------- the check
@dataclass(frozen=True)
class Source:
    """A workspace whose faces a take is compared with: its journal and its face book."""
    model: ReadModel
    book: FaceBook
    station_id: str
    own: bool                      # the workspace the take is in


def check_take(own: Source, take: Take, subject: Subject | None, embedding: Embedding, likeness: Likeness,
               others: Sequence[Source] = ()) -> list[dict[str, Any]]:
    """The face warnings for one take (already recorded in `own.book`); none for an unbound take."""
    if subject is None:
        return []
    found: list[dict[str, Any]] = []
    found += _same_face_other(take, subject, embedding, likeness, [own, *others])
    found += _different_face(own, take, subject, embedding, likeness)
    found += _enrolment(own, subject, embedding, likeness)
    return found


def _same_face_other(take: Take, subject: Subject, probe: Embedding, likeness: Likeness,
                     sources: Iterable[Source]) -> list[dict[str, Any]]:
    mine = identity_keys(subject)
    hits: list[tuple[float, Source, Take, Subject]] = []
    for src in sources:
        with _LOCK:
            matches = match(probe, take_index(src.book), likeness.same_face_distance)
        for m in matches:
            if src.own and m.key == take.id:
                continue
            try:
                other_take = src.model.take(m.key)
            except Exception:                  # noqa: BLE001 - a face of a take the journal does not know
                continue
            if other_take.decision != "accept" or other_take.subject_id is None:
                continue
            other = src.model.subject(other_take.subject_id)
            if (src.own and other.id == subject.id) or identity_keys(other) & mine:
                continue
            hits.append((m.distance, src, other_take, other))
    hits.sort(key=lambda h: h[0])
    out, seen = [], set()
    for dist, src, other_take, other in hits:
        who = (src.station_id, other.id)
        if who in seen:
            continue
        seen.add(who)
        when, no = acceptance(src.model, other_take.id) or ("", None)
        fields = {"name": other.name or "-", "code": other.code, "no": "-" if no is None else no,
                  "time": when[11:16] or "?", "station": src.station_id}
        out.append(face_warning(SAME_FACE_OTHER, MSG_SAME_FACE if src.own else MSG_SAME_FACE_STATION,
                                value=dist, band={"same_face_distance": likeness.same_face_distance},
                                **fields) | {"face": {"station_id": src.station_id, "take": other_take.id}})
        if len(out) >= MAX_SAME_FACE:
            break
    return out


def _different_face(own: Source, take: Take, subject: Subject, probe: Embedding, likeness: Likeness
                    ) -> list[dict[str, Any]]:
    """Compared with the student's accepted takes if there are any, else with every earlier non-void take."""
    earlier = [t for t in own.model.takes(subject_id=subject.id, include_void=False) if t.id != take.id]
    accepted = [t for t in earlier if t.decision == "accept"]
    faces = own.book.take_faces([t.id for t in (accepted or earlier)])
    if not faces:
        return []
    nearest_take, nearest = min(((t, distance(probe, e)) for t, e in faces.items()), key=lambda p: p[1])
    if nearest <= likeness.warn_distance:
        return []
    return [face_warning(DIFFERENT_FACE_SAME_STUDENT, MSG_DIFFERENT_FACE, value=nearest,
                         band={"warn_distance": likeness.warn_distance}, name=subject.name or subject.code,
                         take=nearest_take, score=f"{nearest:.2f}")]


def _enrolment(own: Source, subject: Subject, probe: Embedding, likeness: Likeness) -> list[dict[str, Any]]:
    out = []
    ref = own.book.enrolment(subject.id)
    if ref is not None:
        d = distance(probe, ref.embedding)
        if d > likeness.enrolment_warn_distance:
            out.append(face_warning(ENROLMENT_MISMATCH, MSG_ENROLMENT, value=d,
                                    band={"enrolment_warn_distance": likeness.enrolment_warn_distance},
                                    name=subject.name or subject.code, score=f"{d:.2f}",
                                    limit=f"{likeness.enrolment_warn_distance:.2f}"))
    with _LOCK:
        matches = match(probe, enrolment_index(own.book), likeness.same_face_distance, limit=3)
    mine = identity_keys(subject)
    for m in matches:
        if m.key == subject.id:
            break                                   # nearer to their own photo than to anyone else's
        other = own.model.subject(m.key)
        if identity_keys(other) & mine:
            continue
        out.append(face_warning(ENROLMENT_OF_OTHER, MSG_ENROLMENT_OTHER, value=m.distance,
                                band={"same_face_distance": likeness.same_face_distance},
                                name=other.name or "-", code=other.code, score=f"{m.distance:.2f}")
                   | {"face": {"subject_code": other.code}})
        break
    return out


# ---------------------------------------------------------------------------------------------- the hook
def picture_embedding(photo: bytes | None, original: bytes) -> tuple[Embedding | None, str]:
    """The take's face: from the finished 480x640 photo when there is one (cheap to decode, and the picture
    the registry will compare), else from the frame."""
    for data, kind in ((photo, "photo"), (original, "original")):
        if data:
            found = embed(data)
            if found:
                return found, kind
    return None, ""


def add_face_warnings(session: Any, take: Take, subject: Subject | None, verdict: dict[str, Any],
                      photo: bytes | None, original: bytes) -> None:
    """Session.evaluate's hook: embed the take, keep its face in the book, append the face warnings to
    `verdict["warnings"]`. A failure here never costs the verdict (logged by take id only)."""
    if not session.face_checks:
        return
    try:
        embedding, kind = picture_embedding(photo, original)
        if embedding is None:
            return
        store = session.store
        with FaceBook.open(store.workspace) as book:
            book.add_take(take.id, subject.id if subject else None, subject.code if subject else None, embedding,
                          picture=kind, when=store.clock.now())
            own = Source(store, book, store.station_id, True)
            with _other_sources(getattr(session, "face_workspaces", ())) as others:
                found = check_take(own, take, subject, embedding, session.preset().likeness, others)
    except Exception as exc:  # noqa: BLE001 - the verdict stands without the face check
        log.warning("face check skipped on take %s: %s", take.id, type(exc).__name__,
                    exc_info=log.isEnabledFor(logging.DEBUG))
        return
    if found:
        verdict["warnings"] = list(verdict.get("warnings") or []) + found


def refresh_face_warnings(session: Any, take: Take) -> Take:
    """Session.rebind's hook: the take now belongs to someone else, so its face warnings are computed again
    for its new owner and the verdict is journalled again with them (the photo stays the same). Without
    this, a wrong-person take moved to the right student would still carry "this is not them" warnings."""
    verdict = take.verdict
    if verdict is None or take.subject_id is None:
        return take
    store = session.store
    subject = store.subject(take.subject_id)
    try:
        with FaceBook.open(store.workspace) as book:
            embedding = book.take_face(take.id)
            if embedding is None:
                return take
            book.set_take_subject(take.id, subject.id, subject.code)
            with _other_sources(getattr(session, "face_workspaces", ())) as others:
                found = check_take(Source(store, book, store.station_id, True), take, subject, embedding,
                                   session.preset().likeness, others)
    except Exception as exc:  # noqa: BLE001 - the rebind stands; the old warnings stay
        log.warning("face check after rebind skipped on take %s: %s", take.id, type(exc).__name__)
        return take
    kept = [w for w in verdict.get("warnings") or [] if w.get("code") not in FACE_CODES]
    if kept + found == list(verdict.get("warnings") or []):
        return take
    return store.record_verdict(take.id, {**verdict, "warnings": kept + found}, None, operator=session.operator)


class _other_sources:
    """Open the `--from` workspaces' journals and face books for one check (those without a book are skipped)."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self.opened: list[Any] = []

    def __enter__(self) -> list[Source]:
        from station.store.queries import ReadModel
        sources = []
        for path in self.paths:
            book = FaceBook.open(path, create=False)
            if book is None:
                continue
            store = ReadModel.open(path)
            self.opened += [book, store]
            sources.append(Source(store, book, store.station_id, False))
        return sources

    def __exit__(self, *exc: object) -> None:
        for thing in self.opened:
            thing.close()
