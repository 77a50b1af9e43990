"""The read model: every query over a workspace's journal, beside the schema it reads.

Current state is never stored, it is read from the events: who is bound, the queue, each take's owner and
decision (the `take_state` view), statuses, shooting numbers. Everything that wants to know something about a
workspace asks a `ReadModel` (the writer and the one-workspace `Store` are read models too, so a writer sees
its own transaction). No other module holds SQL; the test suite checks that.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from config.i18n import _

from station.core.errors import SessionError, StoreError
from station.store.clock import Clock
from station.store.kinds import EventKind as K
from station.store.models import NO_COLLEGE, OriginalFile, Subject, Take, status_from

LOOKUP_KEYS = ("code", "student_no", "id_number", "collect_code")
_NOT_VOID = "(decision IS NULL OR decision != 'void')"


@dataclass(frozen=True)
class CheckInRecord:
    """One check-in event: which subject got which shooting number, where, when, with which college."""
    event_id: int
    subject_id: int
    shoot_no: int | None
    college: str | None
    day: str
    station_id: str


@dataclass(frozen=True)
class AcceptedTake:
    """An accepted take with the acceptance that made it so (the export and the report choose among these)."""
    take_id: int
    seq: int
    subject_id: int
    station_id: str
    captured_at: str
    source: str
    accept_event: int
    accepted_at: str
    photo: str | None             # finished photo, relative to the workspace (None: the pipeline made none)
    photo_sha256: str | None
    override: dict[str, Any] | None = None   # accepted despite its verdict: {reason, operator, overrode}

    @property
    def override_reason(self) -> str | None:
        return str(self.override.get("reason") or "") or None if self.override else None


class ReadModel:
    """Queries over one workspace's journal, for one station (whose binding, queue and numbers they are)."""

    def __init__(self, conn: sqlite3.Connection, *, station_id: str, clock: Clock) -> None:
        self.conn = conn
        self.station_id = station_id
        self.clock = clock

    def _one(self, sql: str, *args: Any) -> Any:
        row = self.conn.execute(sql, args).fetchone()
        return row[0] if row else None

    def today(self) -> str:
        return self.clock.now().date().isoformat()

    def latest_event_id(self) -> int:
        """Grows with every event any process writes: a screen compares it to know when to redraw."""
        return int(self._one("SELECT COALESCE(MAX(id), 0) FROM events"))

    # ----------------------------------------------------------------- subjects
    def has_roster(self) -> bool:
        return self._one("SELECT 1 FROM subjects WHERE in_roster = 1 LIMIT 1") is not None

    def subject(self, subject_id: int) -> Subject:
        row = self.conn.execute("SELECT * FROM subjects WHERE id = ?", (subject_id,)).fetchone()
        if row is None:
            raise StoreError(f"no subject with id {subject_id}")
        return Subject.from_row(row)

    def find_subject(self, key: str, value: str) -> Subject | None:
        """Look a subject up by one identity key (code, student_no, id_number, collect_code)."""
        if key not in LOOKUP_KEYS:
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

    def search_subjects(self, text: str, limit: int = 20) -> list[Subject]:
        """Subjects whose name or student number contains `text`, or whose code or 采集码 is `text` (the
        console's rebind search). ID numbers are never searched by part: a search must not probe them."""
        text = text.strip()
        if not text:
            return []
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.conn.execute(
            "SELECT * FROM subjects WHERE name LIKE ? ESCAPE '\\' OR student_no LIKE ? ESCAPE '\\'"
            " OR code = ? OR collect_code = ? ORDER BY in_roster DESC, college, class_name, student_no, code"
            " LIMIT ?", (like, like, text, text, limit))
        return [Subject.from_row(r) for r in rows]

    def roster_size(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM subjects WHERE in_roster = 1"))

    # ----------------------------------------------------------------- check-ins, binding, queue
    def check_ins(self) -> list[CheckInRecord]:
        """Every check-in of every station in this journal, in order."""
        rows = self.conn.execute(
            "SELECT id, subject_id, json_extract(data, '$.shoot_no'), json_extract(data, '$.college'), day,"
            " station_id FROM events WHERE kind = ? AND subject_id IS NOT NULL ORDER BY id", (K.CHECK_IN,))
        return [CheckInRecord(r[0], r[1], int(r[2]) if r[2] is not None else None, r[3], r[4], r[5]) for r in rows]

    def checked_in_ids(self) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT DISTINCT subject_id FROM events WHERE kind = ?",
                                                (K.CHECK_IN,))}

    def shoot_no_today(self, subject_id: int) -> int | None:
        value = self._one("SELECT json_extract(data, '$.shoot_no') FROM events WHERE kind = ? AND station_id = ?"
                          " AND day = ? AND subject_id = ? ORDER BY id LIMIT 1",
                          K.CHECK_IN, self.station_id, self.today(), subject_id)
        return int(value) if value is not None else None

    def last_shoot_no_today(self) -> int:
        """The highest shooting number given today at this station (0 before the first check-in)."""
        return int(self._one("SELECT MAX(CAST(json_extract(data, '$.shoot_no') AS INTEGER)) FROM events"
                             " WHERE kind = ? AND station_id = ? AND day = ?",
                             K.CHECK_IN, self.station_id, self.today()) or 0)

    def last_check_in_day(self) -> str | None:
        """The latest day this station gave a shooting number on (a clock set back before it would number
        from 1 again: the session refuses then)."""
        value = self._one("SELECT MAX(day) FROM events WHERE kind = ? AND station_id = ?", K.CHECK_IN,
                          self.station_id)
        return str(value) if value else None

    def bound_subject_id(self) -> int | None:
        row = self.conn.execute("SELECT kind, subject_id FROM events WHERE kind IN (?, ?) AND station_id = ?"
                                " ORDER BY id DESC LIMIT 1", (K.BIND, K.UNBIND, self.station_id)).fetchone()
        return row["subject_id"] if row and row["kind"] == K.BIND else None

    def binding_day(self) -> str | None:
        """The day the current binding was made at this station (None: nobody bound): a binding ends with it."""
        row = self.conn.execute("SELECT kind, day FROM events WHERE kind IN (?, ?) AND station_id = ?"
                                " ORDER BY id DESC LIMIT 1", (K.BIND, K.UNBIND, self.station_id)).fetchone()
        return row["day"] if row and row["kind"] == K.BIND else None

    def bound_subject(self) -> Subject | None:
        """Who the next shot is for at this station ("no scan, no shot": None means no shot)."""
        subject_id = self.bound_subject_id()
        return self.subject(subject_id) if subject_id is not None else None

    def queue_ids(self) -> list[int]:
        """Subjects that joined the desk queue and were not bound since, in the order they joined."""
        rows = self.conn.execute(
            "SELECT q.subject_id FROM events q WHERE q.kind = ? AND q.station_id = ?"
            " AND NOT EXISTS (SELECT 1 FROM events b WHERE b.subject_id = q.subject_id"
            "   AND b.kind = ? AND b.station_id = q.station_id AND b.id > q.id)"
            " ORDER BY q.id", (K.QUEUE_JOIN, self.station_id, K.BIND)).fetchall()
        return [r[0] for r in rows]

    def queue(self) -> list[Subject]:
        """Subjects checked in at the desk and waiting, in check-in order."""
        return [self.subject(i) for i in self.queue_ids()]

    def skipped_ids(self) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT DISTINCT subject_id FROM events WHERE kind = ?",
                                                (K.SKIP,))}

    # ----------------------------------------------------------------- the operator's day
    def college_setting(self) -> str | None:
        """The college set by hand at this station today (None when nobody set one)."""
        value = self._one("SELECT json_extract(data, '$.college') FROM events WHERE kind = ? AND station_id = ?"
                          " AND day = ? ORDER BY id DESC LIMIT 1", K.SET_COLLEGE, self.station_id, self.today())
        return str(value) if value else None

    def schedule_rows(self) -> list[dict[str, Any]]:
        """The slots of the latest imported schedule (a re-import replaces the previous one)."""
        data = self._one("SELECT data FROM events WHERE kind = ? ORDER BY id DESC LIMIT 1", K.SCHEDULE)
        return list(json.loads(data).get("rows", [])) if data else []

    # ----------------------------------------------------------------- takes
    def take(self, take_id: int) -> Take:
        row = self.conn.execute("SELECT * FROM take_state WHERE take_id = ?", (take_id,)).fetchone()
        if row is None:
            raise SessionError(_("no take {take} in this workspace", take=take_id))
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
            sql += f" AND {_NOT_VOID}"
        sql += " ORDER BY seq"
        return [self._take_from_row(r) for r in self.conn.execute(sql, args)]

    def last_take(self) -> Take | None:
        row = self.conn.execute("SELECT * FROM take_state WHERE station_id = ? ORDER BY seq DESC LIMIT 1",
                                (self.station_id,)).fetchone()
        return self._take_from_row(row) if row else None

    def unbound_takes(self) -> list[Take]:
        """Frames with nobody bound (camera button): each must be rebound or voided."""
        return [t for t in self.takes(unbound=True) if t.decision != "void"]

    def take_counts(self) -> dict[int, int]:
        """subject id -> how many non-void takes it has."""
        return dict(self.conn.execute(f"SELECT subject_id, COUNT(*) FROM take_state WHERE subject_id IS NOT NULL"
                                      f" AND {_NOT_VOID} GROUP BY subject_id").fetchall())

    def latest_take_ids(self) -> dict[int, int]:
        """subject id -> its newest non-void take (the review page's thumbnail)."""
        return dict(self.conn.execute(f"SELECT subject_id, MAX(take_id) FROM take_state WHERE subject_id IS NOT NULL"
                                      f" AND {_NOT_VOID} GROUP BY subject_id").fetchall())

    def take_count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM takes"))

    def next_seq(self) -> int:
        """The sequence number the next take gets (one counter per workspace, never reused)."""
        return int(self._one("SELECT COALESCE(MAX(seq), 0) + 1 FROM takes"))

    def verdict_count(self, take_id: int) -> int:
        return int(self._one("SELECT COUNT(*) FROM events WHERE take_id = ? AND kind = ?", take_id, K.VERDICT))

    def take_with_content(self, sha256: str) -> int | None:
        """The first take holding an original with these bytes (a second import of one file is a no-op)."""
        value = self._one("SELECT take_id FROM originals WHERE sha256 = ? ORDER BY id LIMIT 1", sha256)
        return int(value) if value is not None else None

    def accepted_takes(self) -> list[AcceptedTake]:
        """Every accepted, bound take with its (latest) acceptance, in acceptance order."""
        rows = self.conn.execute(
            "SELECT s.take_id, s.seq, s.captured_at, s.station_id, s.subject_id, s.source, s.verdict,"
            " a.id AS accept_id, a.ts, a.data AS accept_data FROM take_state s JOIN events a ON a.id = (SELECT MAX(e.id) FROM events e"
            "   WHERE e.take_id = s.take_id AND e.kind = ?)"
            " WHERE s.decision = ? AND s.subject_id IS NOT NULL ORDER BY a.id", (K.ACCEPT, K.ACCEPT))
        found = []
        for row in rows:
            verdict = json.loads(row["verdict"]) if row["verdict"] else {}
            found.append(AcceptedTake(row["take_id"], row["seq"], row["subject_id"], row["station_id"],
                                      row["captured_at"], row["source"], row["accept_id"], row["ts"],
                                      verdict.get("photo"), verdict.get("photo_sha256"),
                                      _override(row["accept_data"])))
        return found

    def originals(self) -> dict[str, tuple[int, str]]:
        """Every journalled original: relative file -> (size, sha256)."""
        return {r["file"]: (r["size"], r["sha256"]) for r in self.conn.execute("SELECT * FROM originals")}

    # ----------------------------------------------------------------- decisions and statuses
    def subject_status(self, subject_id: int) -> str:
        """unshot | shot (a take awaits a decision) | accepted | rejected (only rejected takes)."""
        return status_from(r[0] for r in self.conn.execute(
            f"SELECT decision FROM take_state WHERE subject_id = ? AND {_NOT_VOID}", (subject_id,)))

    def statuses(self) -> dict[int, str]:
        """Status of every subject that has a take, in one query (the others are unshot)."""
        result: dict[int, list[str | None]] = {}
        for sid, decision in self.conn.execute(
                f"SELECT subject_id, decision FROM take_state WHERE subject_id IS NOT NULL AND {_NOT_VOID}"):
            result.setdefault(sid, []).append(decision)
        return {sid: status_from(d) for sid, d in result.items()}

    def reject_reasons(self) -> list[tuple[int, str]]:
        """(subject id, reason) of every rejection, in order."""
        return [(sid, json.loads(data).get("reason", "")) for sid, data in self.conn.execute(
            "SELECT subject_id, data FROM events WHERE kind = ? ORDER BY id", (K.REJECT,))]

    def count_events(self, kind: K) -> int:
        return int(self._one("SELECT COUNT(*) FROM events WHERE kind = ?", K(kind)))

    def status_by_college(self) -> list[dict[str, Any]]:
        """Per college: roster size, checked in, shot, accepted, rejected (rejected with nothing accepted)."""
        statuses = self.statuses()
        checked = self.checked_in_ids()
        table: dict[str, dict[str, Any]] = {}
        for row in self.conn.execute("SELECT id, college, in_roster FROM subjects"):
            college = row["college"] or NO_COLLEGE
            entry = table.setdefault(college, {"college": college, "roster": 0, "checked_in": 0, "shot": 0,
                                               "accepted": 0, "rejected": 0})
            status = statuses.get(row["id"], "unshot")
            entry["roster"] += row["in_roster"]
            entry["checked_in"] += row["id"] in checked
            entry["shot"] += status != "unshot"
            entry["accepted"] += status == "accepted"
            entry["rejected"] += status == "rejected"
        return [table[k] for k in sorted(table)]


def _override(accept_data: str | None) -> dict[str, Any] | None:
    """The override an accept event carries (station.session.override decides when one is needed)."""
    override = json.loads(accept_data).get("override") if accept_data else None
    return override if isinstance(override, dict) else None
