"""Build real station workspaces for tests and benchmarks, without a camera.

Everything goes through the real `Store` (SQLite journal, durable files), so what tests read back is what a
station would have written. Typical use:

    store = new_workspace(tmp_path / "s1", station_id="S1")
    rows = roster_rows(30)                              # 3 colleges x 2 classes, valid ID numbers
    populate(store, rows, outcome=cycle_outcomes(), photo=finished_photo())
    store.close()

Outcomes per subject: "accept" | "reject" | "shot" (pending decision) | "unshot" (checked in, no photo) |
"absent" (never checked in). `finished_photo()` renders ONE real photo with the pipeline (cached per seed)
so thousands of takes can reuse its bytes. `bulk()` switches off fsync while building big fixtures.
"""
from __future__ import annotations

import dataclasses
import functools
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from config.settings import ExportSection, FormatSection, Settings, StationSection
from station.core.idnumber import check_character
from station.store.models import Subject, Take
from station.store.models import CapturedFile
from station.store.workspace import Store, init_workspace

COLLEGES = ("计算机学院", "外国语学院", "数学与统计学院")
OUTCOMES = ("accept", "reject", "shot", "unshot", "absent")


@dataclass(frozen=True)
class Photo:
    """A finished photo and the verdict dict the pipeline would journal for it."""
    jpeg: bytes
    verdict: dict[str, Any]
    original: bytes = b""


def make_settings(station_id: str = "S1", *, room: str = "", preset: str = "chsi-2017",
                  naming: str | None = None, college: str = "") -> Settings:
    base = Settings()
    return dataclasses.replace(
        base, station=StationSection(id=station_id, room=room), format=FormatSection(preset=preset),
        export=ExportSection(naming=naming) if naming else base.export,
        session=dataclasses.replace(base.session, college=college) if college else base.session)


def new_workspace(path: Path, station_id: str = "S1", **settings: Any) -> Store:
    """An initialised, empty workspace (owner-only), as `station init` makes it."""
    return init_workspace(path, make_settings(station_id, **settings))


def roster_workspace(path: Path, students: int = 4) -> Path:
    """A closed workspace at `path` with a roster of `students` imported (the tests' usual starting day)."""
    store = new_workspace(path)
    store.upsert_subjects(roster_rows(students), source_file="roster.csv")
    store.close()
    return path


def id_number(n: int) -> str:
    """A valid resident ID number (check digit right) that is unique per n."""
    born = datetime(1998, 1, 1) + timedelta(days=n % 3000)
    first17 = f"110105{born:%Y%m%d}{n // 3000:03d}"
    return first17 + check_character(first17)


def roster_rows(n: int, *, colleges: Sequence[str] = COLLEGES, classes_per_college: int = 2,
                first_student_no: int = 2019000001, with_id_numbers: bool = True,
                names: Callable[[int], str] | None = None) -> list[dict[str, Any]]:
    """N roster rows spread round-robin over colleges and their classes (code = student number)."""
    surnames = "王李张刘陈杨黄赵吴周"
    rows = []
    for i in range(n):
        college = colleges[i % len(colleges)]
        klass = f"{college[:2]}{(i // len(colleges)) % classes_per_college + 1}班"
        student_no = str(first_student_no + i)
        rows.append({"code": student_no, "student_no": student_no,
                     "name": names(i) if names else f"{surnames[i % 10]}同学{i}",
                     "id_number": id_number(i) if with_id_numbers else None, "college": college,
                     "class_name": klass, "major": f"{college[:2]}专业", "paid": True})
    return rows


def cycle_outcomes(pattern: Sequence[str] = ("accept", "accept", "reject", "accept", "unshot", "absent")
                   ) -> Callable[[int, dict[str, Any]], str]:
    """Outcome by position: a repeating pattern (the default has some of everything)."""
    return lambda i, _row: pattern[i % len(pattern)]


@functools.lru_cache(maxsize=32)
def finished_photo(seed: int = 0) -> Photo:
    """One real finished photo from the real pipeline on a generated portrait (cached per seed)."""
    import pipeline
    from pipeline import synthetic
    portrait = synthetic.portrait(seed)
    result = pipeline.process(portrait.jpeg, _preset())
    if result.photo is None:
        raise RuntimeError(f"the pipeline rendered no photo for synthetic portrait {seed}")
    return Photo(result.photo, result.to_dict(), portrait.jpeg)


def bad_photo(size: tuple[int, int] = (100, 100)) -> Photo:
    """A JPEG that fails validation (wrong size), journalled as if the pipeline had passed it."""
    import io
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", size, (100, 197, 255)).save(buf, "JPEG", quality=90)
    return Photo(buf.getvalue(), {"ok": True, "note": "test: a photo that fails validation"}, buf.getvalue())


def _preset() -> Any:
    from config.formats import load_preset
    return load_preset("chsi-2017")


def shoot(store: Store, subject: Subject, photo: Photo, *, decision: str | None = "accept",
          reason: str = "test reject", scanned: str | None = None, college: str | None = None,
          via: str = "student_no") -> Take:
    """Check in (if needed), capture, journal the verdict with the finished photo, then decide."""
    store.check_in(subject, scanned=scanned or subject.code, via=via, college=college)
    take = store.record_capture([CapturedFile(data=photo.original or photo.jpeg, camera_file="IMG_0001.JPG")],
                                subject_id=subject.id, source="trigger")
    store.record_verdict(take.id, photo.verdict, photo.jpeg)
    if decision == "accept":
        return store.accept(take.id)
    if decision == "reject":
        return store.reject(take.id, reason=reason)
    return store.take(take.id)


def populate(store: Store, rows: Sequence[dict[str, Any]], *, outcome: Callable[[int, dict[str, Any]], str],
             photo: Photo | Callable[[int, dict[str, Any]], Photo], roster: bool = True) -> dict[str, str]:
    """Import `rows` (or, roster-less, scan their codes) and play each subject's outcome.

    Roster-less mode (`roster=False`): no roster is imported; a subject is created by its scan with the
    row's college recorded at check-in (as the schedule would), and it has no student number or name.
    Returns code -> outcome.
    """
    if roster:
        store.upsert_subjects(list(rows), source_file="factory")
    played = {}
    for i, row in enumerate(rows):
        what = outcome(i, row)
        played[row["code"]] = what
        if what == "absent":
            if not roster:
                store.scanned_subject(row["code"], college=row.get("college"))
            continue
        subject = (store.find_subject("code", row["code"]) if roster
                   else store.scanned_subject(row["code"], college=row.get("college")))
        assert subject is not None
        if what == "unshot":
            store.check_in(subject, scanned=row["code"], via="code", college=row.get("college"))
            store.skip(reason="test")
            continue
        pic = photo(i, row) if callable(photo) else photo
        if what == "reject":
            shoot(store, subject, pic, decision="reject", college=row.get("college"))
        elif what == "shot":
            shoot(store, subject, pic, decision=None, college=row.get("college"))
            store.unbind(reason="test")
        else:
            shoot(store, subject, pic, decision="accept", college=row.get("college"))
    return played


@contextmanager
def bulk() -> Iterator[None]:
    """Build big fixtures fast: no fsync (files or folders). Fixture building only, never for tests' subject."""
    import station.store.durable as durable
    saved_fsync, saved_dir = os.fsync, durable.fsync_dir
    os.fsync = lambda fd: None                       # type: ignore[assignment]
    durable.fsync_dir = lambda path: None            # type: ignore[assignment]
    try:
        yield
    finally:
        os.fsync, durable.fsync_dir = saved_fsync, saved_dir


def fast_journal(store: Store) -> None:
    """SQLite without fsync per commit (fixture building only)."""
    store.conn.execute("PRAGMA synchronous=OFF")


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under root (relative path -> hex): to prove a re-export is byte-identical. The
    export's state file is hashed without the file stats it keeps (they differ from one folder to another)."""
    import hashlib
    import json

    def content(p: Path) -> bytes:
        if p.name != ".station-export.json":
            return p.read_bytes()
        try:
            data = json.loads(p.read_text("utf-8"))
            for entries in (data.get("files", {}), data.get("pending", {})):
                for entry in entries.values():
                    entry.pop("stat", None)
            return json.dumps(data, sort_keys=True).encode("utf-8")
        except (ValueError, AttributeError):
            return p.read_bytes()
    return {p.relative_to(root).as_posix(): hashlib.sha256(content(p)).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def codes(rows: Iterable[dict[str, Any]]) -> list[str]:
    return [r["code"] for r in rows]


__all__ = ["COLLEGES", "OUTCOMES", "Photo", "bad_photo", "bulk", "cycle_outcomes", "fast_journal", "file_hashes",
           "finished_photo", "id_number", "make_settings", "new_workspace", "populate",
           "roster_rows", "shoot"]


def run_cli(ws: Path, *args: str):  # type: ignore[no-untyped-def]
    """`station -w WS ARGS...` through click's runner, exceptions not swallowed (a bug shows as a bug)."""
    from click.testing import CliRunner
    from station.cli.main import cli
    return CliRunner().invoke(cli, ["-w", str(ws), *args], catch_exceptions=False)
