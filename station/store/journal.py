"""The SQLite journal: schema, connection, and the one way to append an event.

Events are never updated or deleted; current state is a query over them. `subjects` (reference data from the
roster or the scan), `takes` and `originals` (immutable facts about files) are written in the same
transaction as the event that introduces them.
"""
from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from station.core.errors import DiskError
from station.store.diskerrors import disk_errors
from station.store.kinds import EventKind as K

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

# The take_state view of journals created before event kinds were one enum also names a "submit" kind that
# nothing ever wrote (submitted photos are capture events with source "submitted"): harmless, left as it is.

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          TEXT NOT NULL,
    day         TEXT NOT NULL,
    station_id  TEXT NOT NULL,
    operator    TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    subject_id  INTEGER,
    take_id     INTEGER,
    data        TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX IF NOT EXISTS events_take ON events (take_id, kind, id);
CREATE INDEX IF NOT EXISTS events_subject ON events (subject_id, kind, id);
CREATE INDEX IF NOT EXISTS events_kind ON events (kind, id);
CREATE TABLE IF NOT EXISTS subjects (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    student_no   TEXT,
    name         TEXT,
    sex          TEXT,
    id_number    TEXT,
    college      TEXT,
    major        TEXT,
    class_name   TEXT,
    level        TEXT,
    paid         INTEGER,
    collect_code TEXT,
    extra        TEXT NOT NULL DEFAULT '{{}}',
    source       TEXT NOT NULL,
    in_roster    INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS subjects_student_no ON subjects (student_no) WHERE student_no IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS subjects_id_number ON subjects (id_number) WHERE id_number IS NOT NULL;
CREATE INDEX IF NOT EXISTS subjects_collect_code ON subjects (collect_code);
CREATE TABLE IF NOT EXISTS takes (
    id            INTEGER PRIMARY KEY,
    seq           INTEGER NOT NULL UNIQUE,
    captured_at   TEXT NOT NULL,
    source        TEXT NOT NULL,
    camera_model  TEXT NOT NULL DEFAULT '',
    camera_serial TEXT NOT NULL DEFAULT '',
    station_id    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS originals (
    id           INTEGER PRIMARY KEY,
    take_id      INTEGER NOT NULL REFERENCES takes (id),
    file         TEXT NOT NULL UNIQUE,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    camera_file  TEXT NOT NULL DEFAULT '',
    mirror       TEXT
);
CREATE INDEX IF NOT EXISTS originals_take ON originals (take_id);

-- Current state of every take, derived from its events.
CREATE VIEW IF NOT EXISTS take_state AS
SELECT t.id AS take_id, t.seq, t.captured_at, t.source, t.station_id,
  (SELECT e.subject_id FROM events e WHERE e.take_id = t.id AND e.kind IN ('{K.CAPTURE}', '{K.REBIND}')
     ORDER BY e.id DESC LIMIT 1) AS subject_id,
  CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.take_id = t.id AND e.kind = '{K.VOID}') THEN '{K.VOID}'
       ELSE (SELECT e.kind FROM events e WHERE e.take_id = t.id AND e.kind IN ('{K.ACCEPT}', '{K.REJECT}')
               ORDER BY e.id DESC LIMIT 1) END AS decision,
  (SELECT e.id FROM events e WHERE e.take_id = t.id AND e.kind IN ('{K.ACCEPT}', '{K.REJECT}', '{K.VOID}')
     ORDER BY e.id DESC LIMIT 1) AS decision_event,
  (SELECT e.data FROM events e WHERE e.take_id = t.id AND e.kind = '{K.VERDICT}'
     ORDER BY e.id DESC LIMIT 1) AS verdict
FROM takes t;
"""


class JournalConnection(sqlite3.Connection):
    """The journal's connection: every disk failure SQLite reports becomes a one-line DiskError.

    `readonly_reason` is set when the disk could not be written at open time and the journal was opened
    read-only (status, review, report keep answering on a full disk; a write says why it cannot)."""

    readonly_error: DiskError | None = None
    where: Path = Path(".")

    @property
    def readonly_reason(self) -> str | None:
        return str(self.readonly_error) if self.readonly_error else None

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        try:
            with disk_errors(self.where):
                return super().execute(sql, parameters)
        except DiskError as exc:
            raise (self.readonly_error or exc) from exc    # a write on a read-only journal: say why

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:  # type: ignore[override]
        with disk_errors(self.where):
            return super().executescript(sql_script)


def _journal_mode(conn: sqlite3.Connection) -> str:
    """The journal mode stored in the file, asked through SQLite (a read).

    Never open the journal (or its -wal/-shm) with anything but SQLite: closing ANY descriptor of a file
    releases every POSIX lock this process holds on it, including the locks of the other connections open in
    this process (the runtime's, the console's), which then write without them: another process believes it is
    alone, checkpoints and deletes -wal/-shm under them, and their commits are lost (SQLite's documented
    "how to corrupt" pitfall, tests/test_store_two_processes.py)."""
    return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def _open(path: Path, uri: str | None = None) -> JournalConnection:
    conn = sqlite3.connect(uri or path, timeout=30.0, isolation_level=None, check_same_thread=False,
                           uri=uri is not None, factory=JournalConnection)
    conn.where = path
    conn.row_factory = sqlite3.Row
    return conn


def connect(path: Path) -> sqlite3.Connection:
    """Open the journal in WAL mode with full fsync: a committed event survives power loss.

    The WAL pragma is only issued for a journal not in WAL mode yet (it is a write). When the disk cannot be
    written (full: SQLite cannot even size its -shm file), the journal is opened read-only and immutable,
    so the read-only commands still answer; the connection's `readonly_reason` says so."""
    conn = _open(path)
    try:
        if _journal_mode(conn) != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()     # opens the -wal/-shm files now
        return conn
    except DiskError as exc:
        conn.close()
        if not path.is_file() or path.stat().st_size == 0:
            raise
        error = exc
    readonly = _open(path, f"{path.resolve().as_uri()}?immutable=1")
    readonly.readonly_error = error
    wal = path.with_name(path.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        log.warning("journal opened read-only on a full disk: the changes still in %s are not shown", wal.name)
    log.info("journal opened read-only: %s", error)
    return readonly


def ensure_schema(conn: sqlite3.Connection) -> None:
    if getattr(conn, "readonly_reason", None):
        return     # a read-only journal is read as it is (it was created, with its schema, by `init`)
    conn.executescript(SCHEMA)
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


def append_event(conn: sqlite3.Connection, *, station_id: str, kind: K, when: datetime, operator: str = "",
                 subject_id: int | None = None, take_id: int | None = None,
                 data: dict[str, Any] | None = None) -> int:
    """Insert one event (call inside the caller's transaction); return its id. `when` comes from the
    store's clock, never from here."""
    cur = conn.execute(
        "INSERT INTO events (ts, day, station_id, operator, kind, subject_id, take_id, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (when.isoformat(timespec="milliseconds"), when.date().isoformat(), station_id, operator, K(kind).value,
         subject_id, take_id, json.dumps(data or {}, ensure_ascii=False, sort_keys=True)),
    )
    return int(cur.lastrowid)
