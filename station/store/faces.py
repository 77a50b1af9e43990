"""The face book (station.faces uses it): one embedding per take and per enrolment photo, kept apart from the journal.

`WORKSPACE/faces/book.sqlite3` (owner-only, like everything in the workspace) and the enrolment thumbnails in
`WORKSPACE/faces/enrolment/`. Separate from the journal on purpose: the journal is never rewritten, while face
data must be deletable on request (`station purge-faces` removes the whole `faces/` folder). An embedding is
a fact about a stored take, so it is written once per take and never changed; who the take belongs to, and
whether it is accepted, is always read from the journal (rebinds and decisions live there).

Never exported, never logged: nothing here logs a vector, a name or a full code.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from pipeline.likeness import Embedding
from station.store.durable import PRIVATE_FILE, make_private_dirs, replace_file
from station.store.kinds import EventKind
from station.store.queries import ReadModel

FACES_DIR = "faces"
BOOK_FILE = "book.sqlite3"
ENROLMENT_DIR = "enrolment"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS take_faces (
    take_id      INTEGER PRIMARY KEY,
    subject_id   INTEGER,
    subject_code TEXT,
    embedded_at  TEXT NOT NULL,
    picture      TEXT NOT NULL,          -- photo (the finished 480x640) | original (the frame)
    embedding    BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS enrolment (
    subject_id   INTEGER PRIMARY KEY,
    subject_code TEXT NOT NULL,
    file_name    TEXT NOT NULL,          -- the school's file name (student number or ID number + suffix)
    sha256       TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    thumbnail    TEXT NOT NULL,          -- relative to the faces/ folder
    embedding    BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class EnrolmentFace:
    """A student's enrolment photo (学籍照片) as the book keeps it: its embedding and a small thumbnail."""
    subject_id: int
    subject_code: str
    file_name: str
    sha256: str
    imported_at: str
    thumbnail: Path
    embedding: Embedding


@dataclass(frozen=True)
class NewEnrolment:
    """One enrolment photo ready to store (see `FaceBook.put_enrolments`)."""
    subject_id: int
    subject_code: str
    file_name: str
    sha256: str
    thumbnail_jpeg: bytes
    embedding: Embedding


def faces_dir(workspace: Path) -> Path:
    return workspace / FACES_DIR


def book_exists(workspace: Path) -> bool:
    return (faces_dir(workspace) / BOOK_FILE).is_file()


class FaceBook:
    """The face data of one workspace. Open with `FaceBook.open(workspace)`; close when done."""

    def __init__(self, workspace: Path, conn: sqlite3.Connection) -> None:
        self.workspace = workspace
        self.folder = faces_dir(workspace)
        self.conn = conn

    @classmethod
    def open(cls, workspace: Path, *, create: bool = True) -> "FaceBook | None":
        """The workspace's face book; created owner-only when `create`, else None when there is none."""
        folder = faces_dir(workspace)
        path = folder / BOOK_FILE
        if not path.is_file():
            if not create:
                return None
            make_private_dirs(folder)
            # owner-only before SQLite opens it: its -wal/-shm files copy the main file's mode
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
            os.chmod(path, PRIVATE_FILE)
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.executescript(SCHEMA)
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('book_id', ?)", (uuid.uuid4().hex,))
        return cls(workspace, conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "FaceBook":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def book_id(self) -> str:
        """Changes when the book is purged and made again: a cached index of the old one is stale."""
        return str(self.conn.execute("SELECT value FROM meta WHERE key = 'book_id'").fetchone()[0])

    # ----------------------------------------------------------------- takes
    def add_take(self, take_id: int, subject_id: int | None, subject_code: str | None, embedding: Embedding, *,
                 picture: str, when: datetime) -> None:
        """Record a take's face (a second verdict on the same take keeps the first: same file, same face)."""
        self.conn.execute(
            "INSERT OR IGNORE INTO take_faces (take_id, subject_id, subject_code, embedded_at, picture, embedding)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (take_id, subject_id, subject_code, when.isoformat(timespec="seconds"), picture, embedding.to_bytes()))

    def set_take_subject(self, take_id: int, subject_id: int, subject_code: str) -> None:
        """After a rebind: whose face the book says this is (the journal remains the truth)."""
        self.conn.execute("UPDATE take_faces SET subject_id = ?, subject_code = ? WHERE take_id = ?",
                          (subject_id, subject_code, take_id))

    def take_face(self, take_id: int) -> Embedding | None:
        row = self.conn.execute("SELECT embedding FROM take_faces WHERE take_id = ?", (take_id,)).fetchone()
        return Embedding.from_bytes(row[0]) if row else None

    def take_faces(self, take_ids: list[int]) -> dict[int, Embedding]:
        out: dict[int, Embedding] = {}
        for start in range(0, len(take_ids), 500):
            chunk = take_ids[start:start + 500]
            rows = self.conn.execute(f"SELECT take_id, embedding FROM take_faces WHERE take_id IN "
                                     f"({', '.join('?' * len(chunk))})", chunk)
            out.update({int(r[0]): Embedding.from_bytes(r[1]) for r in rows})
        return out

    def take_faces_after(self, rowid: int) -> Iterator[tuple[int, int, Embedding]]:
        """(rowid, take id, embedding) of takes recorded after `rowid`, in order (an index grows by these)."""
        for r in self.conn.execute("SELECT rowid, take_id, embedding FROM take_faces WHERE rowid > ? ORDER BY rowid",
                                   (rowid,)):
            yield int(r[0]), int(r[1]), Embedding.from_bytes(r[2])

    # ----------------------------------------------------------------- enrolment photos
    def put_enrolments(self, items: list[NewEnrolment], *, when: datetime) -> None:
        """Store enrolment photos, all or none: thumbnails first (atomic renames), then one transaction; on a
        failure the thumbnails this call wrote are removed again. A re-import replaces a student's photo."""
        folder = self.folder / ENROLMENT_DIR
        make_private_dirs(folder)
        stamp = when.isoformat(timespec="seconds")
        written: list[Path] = []
        staged = []
        try:
            for item in items:
                rel = f"{ENROLMENT_DIR}/{item.subject_id}-{item.sha256[:12]}.jpg"
                path = self.folder / rel
                replace_file(path, item.thumbnail_jpeg)
                written.append(path)
                staged.append((item, rel))
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                old = {}
                for item, rel in staged:
                    row = self.conn.execute("SELECT thumbnail FROM enrolment WHERE subject_id = ?",
                                            (item.subject_id,)).fetchone()
                    if row and row[0] != rel:
                        old[item.subject_id] = row[0]
                    self.conn.execute(
                        "INSERT OR REPLACE INTO enrolment (subject_id, subject_code, file_name, sha256, imported_at,"
                        " thumbnail, embedding) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (item.subject_id, item.subject_code, item.file_name, item.sha256, stamp, rel,
                         item.embedding.to_bytes()))
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        for rel in old.values():                       # replaced thumbnails: no longer referenced
            (self.folder / rel).unlink(missing_ok=True)

    def enrolment(self, subject_id: int) -> EnrolmentFace | None:
        row = self.conn.execute("SELECT * FROM enrolment WHERE subject_id = ?", (subject_id,)).fetchone()
        return self._enrolment(row) if row else None

    def enrolments(self) -> list[EnrolmentFace]:
        return [self._enrolment(r) for r in self.conn.execute("SELECT * FROM enrolment ORDER BY subject_id")]

    def enrolment_mark(self) -> tuple[int, int, str]:
        """Changes whenever enrolment photos are imported or replaced (a cached index compares it)."""
        row = self.conn.execute("SELECT COUNT(*), COALESCE(MAX(rowid), 0), COALESCE(MAX(imported_at), '')"
                                " FROM enrolment").fetchone()
        return int(row[0]), int(row[1]), str(row[2])

    def _enrolment(self, row: sqlite3.Row) -> EnrolmentFace:
        return EnrolmentFace(int(row["subject_id"]), row["subject_code"], row["file_name"], row["sha256"],
                             row["imported_at"], self.folder / row["thumbnail"], Embedding.from_bytes(row["embedding"]))

    # ----------------------------------------------------------------- counts
    def counts(self) -> dict[str, int]:
        takes = int(self.conn.execute("SELECT COUNT(*) FROM take_faces").fetchone()[0])
        enrolled = int(self.conn.execute("SELECT COUNT(*) FROM enrolment").fetchone()[0])
        return {"takes": takes, "enrolment": enrolled}


def face_counts(workspace: Path) -> dict[str, int]:
    """What the book holds (zeros when there is none); opens nothing for writing."""
    book = FaceBook.open(workspace, create=False)
    if book is None:
        return {"takes": 0, "enrolment": 0}
    with book:
        return book.counts()


def purge(workspace: Path) -> dict[str, int]:
    """Delete every face embedding and enrolment thumbnail of the workspace (the whole faces/ folder);
    returns what was there. The journal, the originals and the finished photos are untouched."""
    counts = face_counts(workspace)
    folder = faces_dir(workspace)
    if folder.exists():
        shutil.rmtree(folder)
    return counts


# ---------------------------------------------------------------------------------------------- journal facts
def acceptance(model: ReadModel, take_id: int) -> tuple[str, int | None] | None:
    """(when, shooting number) of a take's latest acceptance, read from its journal; None if not accepted.
    The shooting number is the one of the owner's latest check-in before that acceptance."""
    row = model.conn.execute("SELECT id, ts, subject_id FROM events WHERE take_id = ? AND kind = ?"
                             " ORDER BY id DESC LIMIT 1", (take_id, EventKind.ACCEPT)).fetchone()
    if row is None:
        return None
    no = model.conn.execute("SELECT json_extract(data, '$.shoot_no') FROM events WHERE kind = ?"
                            " AND subject_id = ? AND id < ? ORDER BY id DESC LIMIT 1",
                            (EventKind.CHECK_IN, row["subject_id"], row["id"])).fetchone()
    return str(row["ts"]), (int(no[0]) if no and no[0] is not None else None)
