"""The workspace store: journal + durable originals. Nothing acknowledged is ever lost.

One `Store` per process per workspace. Writers take SQLite's write lock (BEGIN IMMEDIATE) for the whole of a
capture, so the sequence number, the files and the journal rows stay consistent even with a second process
(a one-shot CLI command) using the same workspace.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence

from config.settings import Settings, load_settings
from station.store import journal
from station.store.durable import make_private_dirs, sha256_file, write_new_file
from station.core.errors import SessionError, StoreError
from station.core.idnumber import mask_code, mask_id_number
from station.store.models import (SUBJECT_FIELDS, CheckIn, OriginalFile, Reconciliation, Subject, Take)

log = logging.getLogger(__name__)

JOURNAL_FILE = "journal.sqlite3"
ORIGINALS = "originals"
RENDERS = "renders"
_UNSAFE = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff_-]+")
_EXT = {"jpeg": ".jpg", "raw": ".raw"}


def safe_fragment(text: str, limit: int = 40) -> str:
    """A piece of a file name: letters, digits, CJK, - and _ only."""
    return _UNSAFE.sub("_", text).strip("_")[:limit] or "x"


@dataclass(frozen=True)
class CapturedFile:
    """One file of a shot, as handed to `record_capture`."""
    data: bytes
    kind: str = "jpeg"            # jpeg | raw
    camera_file: str = ""         # the camera's own name (kept for the record, never used as ours)


class Store:
    """Journal and originals of one workspace."""

    def __init__(self, workspace: Path, settings: Settings) -> None:
        self.workspace = workspace
        self.settings = settings
        self.station_id = settings.station.id
        self.conn = journal.connect(workspace / JOURNAL_FILE)
        journal.ensure_schema(self.conn)

    # ----------------------------------------------------------------- lifecycle
    @classmethod
    def open(cls, workspace: Path) -> "Store":
        """Open an initialised workspace (station.toml must exist: `station init`)."""
        settings = load_settings(workspace)
        if not (workspace / JOURNAL_FILE).exists():
            raise StoreError(f"{workspace}: no journal here; run 'station init' first")
        return cls(workspace, settings)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; rolled back on any error, so a failed step leaves no trace."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def event(self, kind: str, *, subject_id: int | None = None, take_id: int | None = None,
              operator: str | None = None, **data: Any) -> int:
        """Append one event in its own transaction (callers inside a transaction use journal.append_event)."""
        with self.transaction() as conn:
            return journal.append_event(conn, station_id=self.station_id, kind=kind,
                                        operator=self._operator(operator), subject_id=subject_id,
                                        take_id=take_id, data=data)

    def _operator(self, operator: str | None) -> str:
        return operator if operator is not None else self.settings.station.operator

    # ----------------------------------------------------------------- subjects
    def has_roster(self) -> bool:
        return self.conn.execute("SELECT 1 FROM subjects WHERE in_roster = 1 LIMIT 1").fetchone() is not None

    def subject(self, subject_id: int) -> Subject:
        row = self.conn.execute("SELECT * FROM subjects WHERE id = ?", (subject_id,)).fetchone()
        if row is None:
            raise StoreError(f"no subject with id {subject_id}")
        return Subject.from_row(row)

    def find_subject(self, key: str, value: str) -> Subject | None:
        """Look a subject up by one identity key (code, student_no, id_number, collect_code)."""
        if key not in ("code", "student_no", "id_number", "collect_code"):
            raise StoreError(f"unknown lookup key {key!r}")
        row = self.conn.execute(f"SELECT * FROM subjects WHERE {key} = ? ORDER BY in_roster DESC LIMIT 1",
                                (value,)).fetchone()
        return Subject.from_row(row) if row else None

    def subjects(self, college: str | None = None) -> list[Subject]:
        sql, args = "SELECT * FROM subjects", []
        if college is not None:
            sql += " WHERE college = ?"
            args.append(college)
        sql += " ORDER BY college, class_name, student_no, code"
        return [Subject.from_row(r) for r in self.conn.execute(sql, args)]

    def upsert_subjects(self, rows: Sequence[dict[str, Any]], *, source_file: str, operator: str | None = None
                        ) -> dict[str, int]:
        """Insert or update roster subjects in ONE transaction (all rows or none).

        Each row has `code` plus any of SUBJECT_FIELDS and `extra`. An existing subject keeps its id, so
        every take bound to it stays bound. Returns counts: added, updated, unchanged.
        """
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        stamp = journal.now().isoformat(timespec="seconds")
        with self.transaction() as conn:
            for row in rows:
                values = {f: row.get(f) for f in SUBJECT_FIELDS}
                if values["paid"] is not None:
                    values["paid"] = int(bool(values["paid"]))
                extra = json.dumps(row.get("extra") or {}, ensure_ascii=False, sort_keys=True)
                existing = self._match_existing(conn, row)
                if existing is None:
                    conn.execute(
                        "INSERT INTO subjects (code, %s, extra, source, in_roster, created_at, updated_at)"
                        " VALUES (?, %s, ?, 'roster', 1, ?, ?)" % (", ".join(SUBJECT_FIELDS),
                                                                   ", ".join("?" * len(SUBJECT_FIELDS))),
                        (row["code"], *values.values(), extra, stamp, stamp))
                    counts["added"] += 1
                    continue
                current = {f: existing[f] for f in SUBJECT_FIELDS}
                if (current == values and existing["extra"] == extra and existing["in_roster"]
                        and existing["code"] == row["code"]):
                    counts["unchanged"] += 1
                    continue
                conn.execute(
                    "UPDATE subjects SET code = ?, %s, extra = ?, in_roster = 1, source = 'roster',"
                    " updated_at = ? WHERE id = ?" % ", ".join(f"{f} = ?" for f in SUBJECT_FIELDS),
                    (row["code"], *values.values(), extra, stamp, existing["id"]))
                counts["updated"] += 1
            journal.append_event(conn, station_id=self.station_id, kind="roster_import",
                                 operator=self._operator(operator), data={"file": source_file, **counts})
        return counts

    @staticmethod
    def _match_existing(conn: sqlite3.Connection, row: dict[str, Any]) -> sqlite3.Row | None:
        """The subject a roster row updates: same student number, else same ID number, else same code."""
        for key in ("student_no", "id_number", "code"):
            if row.get(key):
                found = conn.execute(f"SELECT * FROM subjects WHERE {key} = ?", (row[key],)).fetchone()
                if found:
                    return found
        if row.get("collect_code"):
            return conn.execute("SELECT * FROM subjects WHERE code = ?", (row["collect_code"],)).fetchone()
        return None

    def scanned_subject(self, code: str, *, college: str | None, id_number: str | None = None) -> Subject:
        """Roster-less sessions: the scanned code itself is the subject (created on first scan)."""
        found = self.find_subject("code", code)
        if found:
            return found
        stamp = journal.now().isoformat(timespec="seconds")
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO subjects (code, id_number, college, collect_code, source, in_roster, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, 'scan', 0, ?, ?)",
                (code, id_number, college, None if id_number else code, stamp, stamp))
            subject_id = int(cur.lastrowid)
        return self.subject(subject_id)

    # ----------------------------------------------------------------- check-in, binding, queue
    def today(self) -> str:
        return journal.now().date().isoformat()

    def shoot_no_today(self, subject_id: int) -> int | None:
        row = self.conn.execute(
            "SELECT json_extract(data, '$.shoot_no') FROM events WHERE kind = 'check_in' AND station_id = ?"
            " AND day = ? AND subject_id = ? ORDER BY id LIMIT 1",
            (self.station_id, self.today(), subject_id)).fetchone()
        return int(row[0]) if row else None

    def check_in(self, subject: Subject, *, scanned: str, via: str, college: str | None = None,
                 queue: bool = False, operator: str | None = None) -> CheckIn:
        """Check a subject in: assign today's shooting number (once) and bind it, or queue it.

        A repeated scan of the bound subject changes nothing. Scanning someone else while a bound subject
        has no take yet moves the binding (the first stays checked in and shows up in the review list).
        """
        day = self.today()
        with self.transaction() as conn:
            existing = self.shoot_no_today(subject.id)
            bound_id = self._bound_subject_id(conn)
            if existing is not None and not queue and bound_id == subject.id:
                return CheckIn(subject, existing, day, repeated=True, bound=True)
            if existing is not None and queue and subject.id in self._queue_ids(conn):
                return CheckIn(subject, existing, day, repeated=True, bound=False)
            shoot_no = existing
            if shoot_no is None:
                row = conn.execute(
                    "SELECT MAX(CAST(json_extract(data, '$.shoot_no') AS INTEGER)) FROM events"
                    " WHERE kind = 'check_in' AND station_id = ? AND day = ?", (self.station_id, day)).fetchone()
                shoot_no = int(row[0] or 0) + 1
                journal.append_event(conn, station_id=self.station_id, kind="check_in",
                                     operator=self._operator(operator), subject_id=subject.id,
                                     data={"shoot_no": shoot_no, "scanned": scanned, "via": via,
                                           "college": college or subject.college})
            moved_from = None
            if queue:
                journal.append_event(conn, station_id=self.station_id, kind="queue_join",
                                     operator=self._operator(operator), subject_id=subject.id,
                                     data={"shoot_no": shoot_no})
            else:
                moved_from = self._bind(conn, subject.id, operator, reason="scan")
        return CheckIn(subject, shoot_no, day, repeated=existing is not None, bound=not queue,
                       moved_from=moved_from)

    def _bind(self, conn: sqlite3.Connection, subject_id: int, operator: str | None, reason: str
              ) -> Subject | None:
        previous = self._bound_subject_id(conn)
        moved_from = None
        if previous is not None and previous != subject_id:
            moved_from = self.subject(previous)
            journal.append_event(conn, station_id=self.station_id, kind="unbind",
                                 operator=self._operator(operator), subject_id=previous,
                                 data={"reason": "moved", "to_subject": subject_id})
        journal.append_event(conn, station_id=self.station_id, kind="bind", operator=self._operator(operator),
                             subject_id=subject_id, data={"reason": reason})
        return moved_from

    def _bound_subject_id(self, conn: sqlite3.Connection) -> int | None:
        row = conn.execute("SELECT kind, subject_id FROM events WHERE kind IN ('bind', 'unbind')"
                           " AND station_id = ? ORDER BY id DESC LIMIT 1", (self.station_id,)).fetchone()
        return row["subject_id"] if row and row["kind"] == "bind" else None

    def bound_subject(self) -> Subject | None:
        """Who the next shot is for at this station ("no scan, no shot": None means no shot)."""
        subject_id = self._bound_subject_id(self.conn)
        return self.subject(subject_id) if subject_id is not None else None

    def unbind(self, *, reason: str, operator: str | None = None) -> Subject | None:
        with self.transaction() as conn:
            bound = self._bound_subject_id(conn)
            if bound is None:
                return None
            journal.append_event(conn, station_id=self.station_id, kind="unbind",
                                 operator=self._operator(operator), subject_id=bound, data={"reason": reason})
        return self.subject(bound)

    def _queue_ids(self, conn: sqlite3.Connection) -> list[int]:
        rows = conn.execute(
            "SELECT q.subject_id FROM events q WHERE q.kind = 'queue_join' AND q.station_id = ?"
            " AND NOT EXISTS (SELECT 1 FROM events b WHERE b.subject_id = q.subject_id"
            "   AND b.kind IN ('bind', 'dequeue') AND b.station_id = q.station_id AND b.id > q.id)"
            " ORDER BY q.id", (self.station_id,)).fetchall()
        return [r[0] for r in rows]

    def queue(self) -> list[Subject]:
        """Subjects checked in at the desk and waiting, in check-in order."""
        return [self.subject(i) for i in self._queue_ids(self.conn)]

    def advance_queue(self, *, operator: str | None = None) -> Subject | None:
        """Bind the first waiting subject (the photographer's "next")."""
        with self.transaction() as conn:
            waiting = self._queue_ids(conn)
            if not waiting:
                return None
            self._bind(conn, waiting[0], operator, reason="queue")
        return self.subject(waiting[0])

    def skip(self, *, reason: str = "", operator: str | None = None) -> Subject | None:
        """Release the bound subject without a photo (they stay on the review list)."""
        with self.transaction() as conn:
            bound = self._bound_subject_id(conn)
            if bound is None:
                return None
            journal.append_event(conn, station_id=self.station_id, kind="skip",
                                 operator=self._operator(operator), subject_id=bound, data={"reason": reason})
            journal.append_event(conn, station_id=self.station_id, kind="unbind",
                                 operator=self._operator(operator), subject_id=bound, data={"reason": "skip"})
        return self.subject(bound)

    # ----------------------------------------------------------------- takes
    def record_capture(self, files: Sequence[CapturedFile], *, subject_id: int | None, source: str,
                       captured_at: datetime | None = None, camera_model: str = "", camera_serial: str = "",
                       operator: str | None = None) -> Take:
        """Durably store a shot's files, then journal them. Returns only once the take is acknowledged.

        Order matters for kill -9 and power loss: files (and mirror copies) are fsynced under their final
        names before the journal commit; a crash in between leaves an orphan that `reconcile` reports.
        """
        if not files:
            raise StoreError("a capture needs at least one file")
        captured_at = captured_at or journal.now()
        mirror_root = Path(self.settings.storage.mirror) if self.settings.storage.mirror else None
        with self.transaction() as conn:
            seq = int(conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM takes").fetchone()[0])
            who = "UNBOUND"
            if subject_id is not None:
                # a file name shows up in logs and listings: an ID-number code goes in masked
                who = safe_fragment(mask_code(self.subject(subject_id).code))
            day = captured_at.strftime("%Y%m%d")
            written: list[OriginalFile] = []
            for index, item in enumerate(files):
                suffix = "" if index == 0 else f"-{index + 1}"
                ext = _EXT.get(item.kind, ".bin")
                if item.kind == "raw" and "." in item.camera_file:
                    ext = "." + safe_fragment(item.camera_file.rsplit(".", 1)[1].lower(), 5)
                rel = f"{ORIGINALS}/{day}/{self.station_id}-{seq:06d}_{who}{suffix}{ext}"
                try:
                    digest = write_new_file(self.workspace / rel, item.data)
                except FileExistsError as exc:
                    raise StoreError(f"{rel} already exists; refusing to overwrite an original",
                                     hint="run 'station status' to reconcile the workspace") from exc
                mirror = None
                if mirror_root is not None:
                    try:
                        write_new_file(mirror_root / rel, item.data)
                    except OSError as exc:
                        raise StoreError(f"mirror copy failed ({mirror_root}: {exc}); the shot is NOT "
                                         "acknowledged", hint="check the mirror disk, then shoot again") from exc
                    mirror = str(mirror_root / rel)
                written.append(OriginalFile(rel, digest, len(item.data), item.kind, item.camera_file, mirror))
            cur = conn.execute(
                "INSERT INTO takes (seq, captured_at, source, camera_model, camera_serial, station_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (seq, captured_at.isoformat(timespec="milliseconds"), source, camera_model, camera_serial,
                 self.station_id))
            take_id = int(cur.lastrowid)
            for f in written:
                conn.execute("INSERT INTO originals (take_id, file, sha256, size, kind, camera_file, mirror)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (take_id, f.file, f.sha256, f.size, f.kind, f.camera_file, f.mirror))
            journal.append_event(conn, station_id=self.station_id, kind="capture",
                                 operator=self._operator(operator), subject_id=subject_id, take_id=take_id,
                                 data={"seq": seq, "files": [f.file for f in written], "source": source})
        log.info("take %s stored (seq %s, subject %s)", take_id, seq, "unbound" if subject_id is None else who)
        return self.take(take_id)

    def take(self, take_id: int) -> Take:
        row = self.conn.execute("SELECT * FROM take_state WHERE take_id = ?", (take_id,)).fetchone()
        if row is None:
            raise SessionError(f"no take {take_id} in this workspace")
        return self._take_from_row(row)

    def _take_from_row(self, row: sqlite3.Row) -> Take:
        files = tuple(OriginalFile(r["file"], r["sha256"], r["size"], r["kind"], r["camera_file"], r["mirror"])
                      for r in self.conn.execute("SELECT * FROM originals WHERE take_id = ? ORDER BY id",
                                                 (row["take_id"],)))
        return Take(id=row["take_id"], seq=row["seq"], subject_id=row["subject_id"],
                    captured_at=row["captured_at"], source=row["source"], station_id=row["station_id"],
                    decision=row["decision"], verdict=json.loads(row["verdict"]) if row["verdict"] else None,
                    files=files)

    def takes(self, *, subject_id: int | None = None, unbound: bool = False,
              include_void: bool = True) -> list[Take]:
        sql, args = "SELECT * FROM take_state WHERE 1 = 1", []
        if subject_id is not None:
            sql += " AND subject_id = ?"
            args.append(subject_id)
        if unbound:
            sql += " AND subject_id IS NULL"
        if not include_void:
            sql += " AND (decision IS NULL OR decision != 'void')"
        sql += " ORDER BY seq"
        return [self._take_from_row(r) for r in self.conn.execute(sql, args)]

    def last_take(self) -> Take | None:
        row = self.conn.execute("SELECT * FROM take_state WHERE station_id = ? ORDER BY seq DESC LIMIT 1",
                                (self.station_id,)).fetchone()
        return self._take_from_row(row) if row else None

    def record_verdict(self, take_id: int, verdict: dict[str, Any], photo: bytes | None = None,
                       operator: str | None = None) -> Take:
        """Journal the pipeline's verdict; the finished photo (if any) is stored durably beside it."""
        take = self.take(take_id)
        data = dict(verdict)
        if photo is not None:
            version = 1 + int(self.conn.execute(
                "SELECT COUNT(*) FROM events WHERE take_id = ? AND kind = 'verdict'", (take_id,)).fetchone()[0])
            rel = f"{RENDERS}/{self.station_id}-{take.seq:06d}-v{version}.jpg"
            data["photo"] = rel
            data["photo_sha256"] = write_new_file(self.workspace / rel, photo)
        self.event("verdict", take_id=take_id, subject_id=take.subject_id, operator=operator, **data)
        return self.take(take_id)

    def _decide(self, kind: str, take_id: int, operator: str | None, **data: Any) -> Take:
        take = self.take(take_id)
        if take.decision == "void":
            raise SessionError(f"take {take_id} is void; it cannot be changed")
        if kind == "accept" and take.subject_id is None:
            raise SessionError(f"take {take_id} is not bound to anyone; rebind it to a student first",
                               hint=f"station rebind {take_id} CODE")
        self.event(kind, take_id=take_id, subject_id=take.subject_id, operator=operator, **data)
        return self.take(take_id)

    def accept(self, take_id: int, *, operator: str | None = None, close_binding: bool = True) -> Take:
        """Accept a take; the binding closes so the next shot needs a new scan."""
        take = self._decide("accept", take_id, operator)
        if close_binding and self._bound_subject_id(self.conn) == take.subject_id:
            self.event("unbind", subject_id=take.subject_id, operator=operator, reason="accepted")
        return take

    def reject(self, take_id: int, *, reason: str, operator: str | None = None) -> Take:
        if not reason.strip():
            raise SessionError("a rejection needs a reason (it goes on the re-shoot list)")
        return self._decide("reject", take_id, operator, reason=reason)

    def void(self, take_id: int, *, reason: str, operator: str | None = None) -> Take:
        take = self.take(take_id)
        if take.decision == "void":
            raise SessionError(f"take {take_id} is already void")
        self.event("void", take_id=take_id, subject_id=take.subject_id, operator=operator, reason=reason)
        return self.take(take_id)

    def rebind(self, take_id: int, subject: Subject, *, reason: str, operator: str | None = None) -> Take:
        """Move one take to another subject: the wrong-person fix, journalled with who, when and why."""
        take = self.take(take_id)
        if take.decision == "void":
            raise SessionError(f"take {take_id} is void; it cannot be rebound")
        if take.subject_id == subject.id:
            raise SessionError(f"take {take_id} is already bound to {subject.code}")
        self.event("rebind", take_id=take_id, subject_id=subject.id, operator=operator,
                   from_subject=take.subject_id, reason=reason)
        return self.take(take_id)

    # ----------------------------------------------------------------- state queries
    def subject_status(self, subject_id: int) -> str:
        """unshot | shot (a take awaits a decision) | accepted | rejected (only rejected takes)."""
        decisions = [r[0] for r in self.conn.execute(
            "SELECT decision FROM take_state WHERE subject_id = ? AND (decision IS NULL OR decision != 'void')",
            (subject_id,))]
        return _status_from(decisions)

    def statuses(self) -> dict[int, str]:
        """Status of every subject, in one query."""
        result: dict[int, list[str | None]] = {}
        for sid, decision in self.conn.execute(
                "SELECT subject_id, decision FROM take_state WHERE subject_id IS NOT NULL"
                " AND (decision IS NULL OR decision != 'void')"):
            result.setdefault(sid, []).append(decision)
        return {sid: _status_from(d) for sid, d in result.items()}

    def checked_in_ids(self) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT DISTINCT subject_id FROM events WHERE kind = 'check_in'")}

    def status_by_college(self) -> list[dict[str, Any]]:
        """Per college: roster size, checked in, shot, accepted, rejected (rejected with nothing accepted)."""
        statuses = self.statuses()
        checked = self.checked_in_ids()
        table: dict[str, dict[str, Any]] = {}
        for row in self.conn.execute("SELECT id, college, in_roster FROM subjects"):
            college = row["college"] or "(no college)"
            entry = table.setdefault(college, {"college": college, "roster": 0, "checked_in": 0, "shot": 0,
                                               "accepted": 0, "rejected": 0})
            status = statuses.get(row["id"], "unshot")
            entry["roster"] += row["in_roster"]
            entry["checked_in"] += row["id"] in checked
            entry["shot"] += status != "unshot"
            entry["accepted"] += status == "accepted"
            entry["rejected"] += status == "rejected"
        return [table[k] for k in sorted(table)]

    def unbound_takes(self) -> list[Take]:
        """Frames with nobody bound (camera button): each must be rebound or voided."""
        return [t for t in self.takes(unbound=True) if t.decision != "void"]

    # ----------------------------------------------------------------- reconciliation
    def reconcile(self, *, deep: bool = False) -> Reconciliation:
        """Compare journal and disk after a restart. Never deletes anything; reports what it finds."""
        known = {r["file"]: (r["size"], r["sha256"]) for r in self.conn.execute("SELECT * FROM originals")}
        on_disk: set[str] = set()
        temp: list[str] = []
        root = self.workspace / ORIGINALS
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if not path.is_file():
                    continue
                rel = path.relative_to(self.workspace).as_posix()
                if path.name.startswith(".") and path.name.endswith(".tmp"):
                    temp.append(rel)
                else:
                    on_disk.add(rel)
        missing, damaged = [], []
        for rel, (size, digest) in sorted(known.items()):
            path = self.workspace / rel
            if rel not in on_disk:
                missing.append(rel)
            elif path.stat().st_size != size or (deep and sha256_file(path) != digest):
                damaged.append(rel)
        orphans = sorted(on_disk - known.keys())
        report = Reconciliation(tuple(orphans), tuple(missing), tuple(damaged), tuple(temp))
        for rel in orphans:
            log.warning("orphan original (not in the journal, kept): %s", rel)
        for rel in missing:
            log.error("journalled original missing: %s", rel)
        return report


def _status_from(decisions: list[str | None]) -> str:
    if not decisions:
        return "unshot"
    if "accept" in decisions:
        return "accepted"
    if None in decisions:
        return "shot"
    return "rejected"


def init_workspace(workspace: Path, settings: Settings) -> Store:
    """Create a workspace (owner-only), write station.toml and the journal. Refuses to clobber one."""
    from config.settings import SETTINGS_FILE, render_settings
    target = workspace / SETTINGS_FILE
    if target.exists():
        raise StoreError(f"{workspace} is already a station workspace (station.toml exists)")
    make_private_dirs(workspace)
    for sub in (ORIGINALS, RENDERS, "presets", "state", "preview"):
        make_private_dirs(workspace / sub)
    write_new_file(target, render_settings(settings).encode("utf-8"))
    # create the journal owner-only *before* SQLite opens it: its -wal/-shm files copy the journal's mode
    os.close(os.open(workspace / JOURNAL_FILE, os.O_WRONLY | os.O_CREAT, 0o600))
    (workspace / JOURNAL_FILE).chmod(0o600)
    store = Store(workspace, settings)
    store.event("init", station_id=settings.station.id, room=settings.station.room,
                preset=settings.format.preset)
    return store


def describe_subject(subject: Subject) -> str:
    """One line for logs: no full ID number, no full name."""
    from station.core.idnumber import mask_name
    return f"{mask_code(subject.code)} {mask_name(subject.name)} {mask_id_number(subject.id_number)}".strip()
