"""The SQLite journal: schema, connection, and the one way to append an event.

Events are never updated or deleted; they are the only truth. The current state of each take is kept beside
them (`take_current`), written in the same transaction as every event that changes it, and can be rebuilt
from the events at any time (`rebuild_take_current`). `subjects` (reference data from the
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

JOURNAL_FILE = "journal.sqlite3"
SCHEMA_VERSION = 2      # 2: take_current, kept by the writer (was the take_state view's subqueries)

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

-- The current state of every take, kept by the writer in the same transaction as each event that changes it
-- (append_event). Derived data: rebuild_take_current() recomputes it from the events, which stay the truth.
CREATE TABLE IF NOT EXISTS take_current (
    take_id         INTEGER PRIMARY KEY REFERENCES takes (id),
    subject_id      INTEGER,             -- the latest capture / rebind says whose it is (NULL: unbound)
    decision        TEXT,                -- 'void' once voided, else the latest accept / reject, else NULL
    decision_event  INTEGER,             -- the latest accept / reject / void
    accept_event    INTEGER,             -- the latest accept
    verdict_event   INTEGER,             -- the latest verdict
    photo           TEXT,                -- ... and its finished photo (relative to the workspace) and sha256
    photo_sha256    TEXT
);
CREATE INDEX IF NOT EXISTS take_current_subject ON take_current (subject_id, decision);
CREATE INDEX IF NOT EXISTS take_current_accepted ON take_current (decision, accept_event);
-- a station's check-ins of a day (shooting numbers), and its latest bind / unbind: lookups, not scans
CREATE INDEX IF NOT EXISTS events_check_in ON events (kind, station_id, day, subject_id);
CREATE INDEX IF NOT EXISTS events_station ON events (station_id, kind, id);
"""

#: take_state: a take with its current state, read from take_current (journals of schema 1 computed it here
#: with correlated subqueries over every event, so each lookup scanned the whole day)
TAKE_STATE_VIEW = """
CREATE VIEW take_state AS
SELECT t.id AS take_id, t.seq, t.captured_at, t.source, t.station_id, c.subject_id, c.decision,
       c.decision_event, c.accept_event, c.photo, c.photo_sha256, v.data AS verdict
FROM take_current c JOIN takes t ON t.id = c.take_id LEFT JOIN events v ON v.id = c.verdict_event;
"""

#: the state of every take, recomputed from its events alone (the definition take_current must always equal)
DERIVED_TAKE_STATE = f"""
SELECT t.id AS take_id,
  (SELECT e.subject_id FROM events e WHERE e.take_id = t.id AND e.kind IN ('{K.CAPTURE}', '{K.REBIND}')
     ORDER BY e.id DESC LIMIT 1) AS subject_id,
  CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.take_id = t.id AND e.kind = '{K.VOID}') THEN '{K.VOID}'
       ELSE (SELECT e.kind FROM events e WHERE e.take_id = t.id AND e.kind IN ('{K.ACCEPT}', '{K.REJECT}')
               ORDER BY e.id DESC LIMIT 1) END AS decision,
  (SELECT MAX(e.id) FROM events e WHERE e.take_id = t.id AND e.kind IN ('{K.ACCEPT}', '{K.REJECT}', '{K.VOID}'))
     AS decision_event,
  (SELECT MAX(e.id) FROM events e WHERE e.take_id = t.id AND e.kind = '{K.ACCEPT}') AS accept_event,
  (SELECT MAX(e.id) FROM events e WHERE e.take_id = t.id AND e.kind = '{K.VERDICT}') AS verdict_event,
  (SELECT json_extract(e.data, '$.photo') FROM events e WHERE e.take_id = t.id AND e.kind = '{K.VERDICT}'
     ORDER BY e.id DESC LIMIT 1) AS photo,
  (SELECT json_extract(e.data, '$.photo_sha256') FROM events e WHERE e.take_id = t.id AND e.kind = '{K.VERDICT}'
     ORDER BY e.id DESC LIMIT 1) AS photo_sha256
FROM takes t ORDER BY t.id
"""
TAKE_CURRENT_COLUMNS = ("take_id", "subject_id", "decision", "decision_event", "accept_event", "verdict_event",
                        "photo", "photo_sha256")

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


def connect_readonly(path: Path) -> JournalConnection:
    """Open the journal for reading only (SQLite `mode=ro`): no schema written, no journal mode switched, every
    write refused by SQLite itself. A journal of an older schema gets its derived state in TEMP (temp_state).
    When even the -shm file cannot be made (a full disk, a read-only medium), it is read as immutable."""
    conn = _open(path, f"{path.resolve().as_uri()}?mode=ro")
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except DiskError as exc:
        conn.close()
        conn = _open(path, f"{path.resolve().as_uri()}?immutable=1")
        conn.readonly_error = exc
    temp_state(conn)
    return conn


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the schema, or bring a journal of an older schema up to this one (take_current rebuilt from the
    events, in one write transaction, so two processes opening an old journal at once upgrade it once)."""
    if getattr(conn, "readonly_reason", None):
        temp_state(conn)     # a read-only journal is read as it is (it was created, with its schema, by `init`)
        return
    conn.executescript(SCHEMA)
    if schema_version(conn) >= SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if schema_version(conn) < SCHEMA_VERSION:
            conn.execute("DROP VIEW IF EXISTS take_state")
            conn.execute(TAKE_STATE_VIEW)
            rebuild_take_current(conn)
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                         (str(SCHEMA_VERSION),))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def schema_version(conn: sqlite3.Connection) -> int:
    """The journal's schema version (0: a new journal, or one from before versions were kept)."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if row else 0


def temp_state(conn: sqlite3.Connection) -> None:
    """A journal that cannot be written and is of an older schema (another station's copy, a full disk) gets
    its take_current computed once into this connection's TEMP schema, so the same queries read it."""
    if schema_version(conn) >= SCHEMA_VERSION or not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'takes'").fetchone():
        return
    conn.execute("CREATE TEMP TABLE take_current AS " + DERIVED_TAKE_STATE)
    conn.execute("CREATE INDEX temp.take_current_subject ON take_current (subject_id, decision)")
    conn.execute("CREATE UNIQUE INDEX temp.take_current_id ON take_current (take_id)")
    conn.execute(TAKE_STATE_VIEW.replace("CREATE VIEW", "CREATE TEMP VIEW"))


def rebuild_take_current(conn: sqlite3.Connection) -> None:
    """Recompute every take's current state from the events (inside the caller's write transaction)."""
    conn.execute("DELETE FROM take_current")
    conn.execute(f"INSERT INTO take_current ({', '.join(TAKE_CURRENT_COLUMNS)}) " + DERIVED_TAKE_STATE)


def derived_take_state(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """Every take's state as the events alone say it (for the check that take_current equals it)."""
    return [tuple(r) for r in conn.execute(DERIVED_TAKE_STATE)]


def maintained_take_state(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """Every take's state as the writer kept it in take_current."""
    return [tuple(r) for r in conn.execute(
        f"SELECT {', '.join(TAKE_CURRENT_COLUMNS)} FROM take_current ORDER BY take_id")]


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
    event_id = int(cur.lastrowid)
    if take_id is not None and kind in _TAKE_UPDATES:
        conn.execute(_TAKE_UPDATES[K(kind)], {"id": event_id, "take": take_id, "subject": subject_id,
                                              "kind": K(kind).value, "photo": (data or {}).get("photo"),
                                              "photo_sha256": (data or {}).get("photo_sha256")})
    return event_id


#: how each event kind changes its take's row of take_current (the same statement, the same transaction)
_TAKE_UPDATES: dict[K, str] = {
    K.CAPTURE: "INSERT INTO take_current (take_id, subject_id) VALUES (:take, :subject)",
    K.REBIND: "UPDATE take_current SET subject_id = :subject WHERE take_id = :take",
    K.ACCEPT: "UPDATE take_current SET decision = CASE WHEN decision = 'void' THEN 'void' ELSE :kind END,"
              " decision_event = :id, accept_event = :id WHERE take_id = :take",
    K.REJECT: "UPDATE take_current SET decision = CASE WHEN decision = 'void' THEN 'void' ELSE :kind END,"
              " decision_event = :id WHERE take_id = :take",
    K.VOID: "UPDATE take_current SET decision = :kind, decision_event = :id WHERE take_id = :take",
    K.VERDICT: "UPDATE take_current SET verdict_event = :id, photo = :photo, photo_sha256 = :photo_sha256"
               " WHERE take_id = :take",
}
