"""Journal rows going out to the hub, and other stations' rows coming in to a read-only replica.

A station's journal leaves as it is: each event with the subject, take and original rows it points at, so a
replica built from the messages is the same journal (same ids, same schema, same views) and every reader of a
workspace (the multi-workspace merge, report, export) reads it like a copied workspace. A replica is written
only here, idempotently (a message applied twice is applied once), and nobody else writes it.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable

from station.store import journal

#: the tables a replicated event may bring rows for, in the order they are inserted (takes before originals)
ROW_TABLES = ("subjects", "takes", "originals")
META_STREAM_SEQ = "hub_stream_seq"


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return {k: row[k] for k in row.keys()} if row is not None else None


def outbox(conn: sqlite3.Connection, after: int, limit: int) -> list[dict[str, Any]]:
    """The events after id `after` (at most `limit`), each as one message body: the event row and the subject,
    take and original rows it names, as they are now."""
    found = []
    for ev in conn.execute("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", (after, limit)).fetchall():
        body: dict[str, Any] = {"event": _row(ev), "subjects": [], "takes": [], "originals": []}
        if ev["subject_id"] is not None:
            row = conn.execute("SELECT * FROM subjects WHERE id = ?", (ev["subject_id"],)).fetchone()
            body["subjects"] = [_row(row)] if row is not None else []
        if ev["take_id"] is not None:
            row = conn.execute("SELECT * FROM takes WHERE id = ?", (ev["take_id"],)).fetchone()
            body["takes"] = [_row(row)] if row is not None else []
            body["originals"] = [_row(r) for r in conn.execute(
                "SELECT * FROM originals WHERE take_id = ? ORDER BY id", (ev["take_id"],))]
        found.append(body)
    return found


def subjects_after(conn: sqlite3.Connection, cursor: tuple[str, int], limit: int) -> list[dict[str, Any]]:
    """Subjects added or changed after `cursor` = (updated_at, id), in that order: the roster reaches the hub
    even for students nobody has scanned yet."""
    return [_row(r) for r in conn.execute(   # type: ignore[misc]
        "SELECT * FROM subjects WHERE (updated_at, id) > (?, ?) ORDER BY updated_at, id LIMIT ?",
        (cursor[0], cursor[1], limit))]


def latest_event_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])


def last_event(conn: sqlite3.Connection) -> dict[str, Any] | None:
    try:
        return _row(conn.execute("SELECT * FROM events ORDER BY id DESC LIMIT 1").fetchone())
    except sqlite3.OperationalError:      # a replica being created this instant has no tables yet
        return None


def open_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection to a journal (the replicator's own: it never takes the writer's lock)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0,
                           check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


#: what the running replicator last saw (written by station/hub; read here so the session can tell "cannot tell")
STATUS_FILE = "state/hub-status.json"
REPLICAS = "hub/replicas"
STATUS_FRESH_S = 5.0


def read_status(workspace: Path) -> dict[str, Any] | None:
    """What a running replicator last wrote, or None when none runs (no file, or an old one)."""
    import time
    try:
        data = json.loads((workspace / STATUS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if time.time() - float(data.get("at", 0)) <= STATUS_FRESH_S else None


def accepted_at(workspace: Path, keys: Iterable[str]) -> list[str]:
    """The other stations (replicas) where a student with any of these keys (student number, ID number,
    code) has an accepted take: the merge's identity rule, asked before a shot."""
    wanted = sorted({k.strip() for k in keys if k and k.strip()})
    root = workspace / REPLICAS
    if not wanted or not root.is_dir():
        return []
    found = []
    marks = ", ".join("?" * len(wanted))
    for folder in sorted(p for p in root.iterdir() if (p / "journal.sqlite3").is_file()):
        conn = open_reader(folder / "journal.sqlite3")
        try:
            row = conn.execute(
                f"SELECT 1 FROM take_state t JOIN subjects s ON s.id = t.subject_id WHERE t.decision = 'accept'"
                f" AND (s.student_no IN ({marks}) OR s.id_number IN ({marks}) OR s.code IN ({marks})) LIMIT 1",
                [*wanted, *wanted, *wanted]).fetchone()
        except sqlite3.OperationalError:      # a replica being created this instant
            row = None
        finally:
            conn.close()
        if row is not None:
            found.append(folder.name)
    return found


def accepted_keys(workspace: Path) -> set[str]:
    """Student numbers, ID numbers and codes of every student accepted at another station (its replica)."""
    root = workspace / REPLICAS
    found: set[str] = set()
    if not root.is_dir():
        return found
    for folder in sorted(p for p in root.iterdir() if (p / "journal.sqlite3").is_file()):
        conn = open_reader(folder / "journal.sqlite3")
        try:
            for row in conn.execute("SELECT s.student_no, s.id_number, s.code FROM take_state t JOIN subjects s"
                                    " ON s.id = t.subject_id WHERE t.decision = 'accept'"):
                found.update(k.strip() for k in row if k and k.strip())
        except sqlite3.OperationalError:      # a replica being created this instant
            pass
        finally:
            conn.close()
    return found


class ReplicaJournal:
    """One remote station's journal, rebuilt from its messages (same schema and ids as the original)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = journal.connect(path)
        # a replica is rebuilt from the hub after any loss (its stream position is applied with the rows): it
        # needs no fsync per transaction, only no corruption, which WAL with NORMAL gives
        self.conn.execute("PRAGMA synchronous=NORMAL")
        journal.ensure_schema(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "ReplicaJournal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def apply(self, bodies: Iterable[dict[str, Any]], *, stream_seq: int | None = None) -> int:
        """Insert the rows of every message in ONE transaction; rows already there are kept as they are (a
        subject is refreshed: the roster's later edit wins). Returns the number of new events."""
        added = 0
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for body in bodies:
                for row in body.get("subjects", ()):
                    self._upsert_subject(row)
                for table in ("takes", "originals"):
                    for row in body.get(table, ()):
                        self._insert("INSERT OR IGNORE", table, row)
                event = body.get("event")
                if event is not None:
                    # REPLACE: the origin's event wins over a note written into the replica (an export's)
                    added += self._insert("INSERT OR REPLACE", "events", event)
            if stream_seq is not None:
                self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                  (META_STREAM_SEQ, str(stream_seq)))
            if added:
                journal.rebuild_take_current(self.conn)   # the state the writer keeps, derived from the events copied
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return added

    def _upsert_subject(self, row: dict[str, Any]) -> None:
        old = self.conn.execute("SELECT updated_at FROM subjects WHERE id = ?", (row["id"],)).fetchone()
        if old is not None and old[0] > row["updated_at"]:
            return      # an older snapshot replayed: the newer one stays
        # a unique student number / ID number moved between ids in the original (a re-import): REPLACE follows
        self._insert("INSERT OR REPLACE", "subjects", row)

    def _insert(self, verb: str, table: str, row: dict[str, Any]) -> int:
        assert table in ("events", *ROW_TABLES)
        cols = list(row)
        cur = self.conn.execute(f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                [row[c] for c in cols])
        return cur.rowcount

    def stream_seq(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (META_STREAM_SEQ,)).fetchone()
        return int(row[0]) if row else 0

    def latest_event_id(self) -> int:
        return latest_event_id(self.conn)

    def photos(self) -> list[tuple[str, str]]:
        """(relative path, sha256) of every finished photo the replicated verdicts name."""
        found = []
        for (data,) in self.conn.execute("SELECT data FROM events WHERE kind = 'verdict' ORDER BY id"):
            verdict = json.loads(data)
            if verdict.get("photo") and verdict.get("photo_sha256"):
                found.append((verdict["photo"], verdict["photo_sha256"]))
        return found

    def last_event(self) -> dict[str, Any] | None:
        return last_event(self.conn)
