"""The read model: every query over a workspace's journal, beside the schema it reads.

The events are the truth; each take's owner, decision, acceptance, verdict and finished photo are read from
`take_current`, which the writer keeps in the same transaction as the events (journal.py), through the
`take_state` view. Who is bound, the queue, statuses and shooting numbers are read from the events by indexed
lookups. No other module holds SQL; the test suite checks that.

Reading a workspace, any workspace (this station's, another station's `--from`, a replicated copy of another
station's journal):

    with ReadModel.open(path) as read:        # a workspace folder, or a journal file; SQLite read-only
        read.statuses(); read.accepted_takes(); read.takes(subject_id=7); read.check_ins()

It never writes (no schema, no upgrade: a journal of an older schema is read as it is). The queries are grouped
by topic — `read.people` (subjects), `read.desk` (check-ins, binding, queue, the day's settings), `read.shots`
(takes), `read.tally` (statuses) — and each is also asked by its name on the read model. The writer
(`JournalWriter`) and the `Store` facade answer the same names through their read model over their own
connection, so a writer sees its own transaction.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.i18n import _
from pipeline.result import Verdict

from station.core.errors import SessionError, StoreError
from station.core.idnumber import mask_code
from station.store import journal
from station.store.clock import Clock, SystemClock
from station.store.kinds import EventKind as K
from station.store.models import NO_COLLEGE, OriginalFile, Subject, Take, load_verdict, status_from

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
    validation: dict[str, Any] | None = None  # the photo's validation kept in its verdict (station.core.validation)

    @property
    def override_reason(self) -> str | None:
        return str(self.override.get("reason") or "") or None if self.override else None


class _Topic:
    """One topic of the read model. Its queries use the read model's connection, station and clock, and reach
    the other topics' queries through it (`self.subject(...)` in a desk query asks the subjects topic)."""

    def __init__(self, read: "ReadModel") -> None:
        self.read = read
        self.conn = read.conn
        self.station_id = read.station_id
        self.clock = read.clock

    def __getattr__(self, name: str) -> Any:
        return getattr(self.read, name)

    def _one(self, sql: str, *args: Any) -> Any:
        row = self.conn.execute(sql, args).fetchone()
        return row[0] if row else None


class SubjectQueries(_Topic):
    """The subjects: the roster's students and the scanned codes of roster-less sessions."""

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

    def subjects_with_ids(self, ids: set[int] | list[int]) -> list[Subject]:
        """The subjects with these ids, in `subjects()` order: a page about some students reads only theirs."""
        rows = self.conn.execute("SELECT * FROM subjects WHERE id IN (SELECT value FROM json_each(?))"
                                 " ORDER BY college, class_name, student_no, code", (json.dumps(sorted(ids)),))
        return [Subject.from_row(r) for r in rows]

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


class DeskQueries(_Topic):
    """This station's desk: check-ins and shooting numbers, who is bound, the queue, the day's settings."""

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

    def shoot_numbers_today(self) -> dict[int, int]:
        """subject id -> today's shooting number at this station, for every subject checked in today."""
        found: dict[int, int] = {}
        for sid, number in self.conn.execute(
                "SELECT subject_id, json_extract(data, '$.shoot_no') FROM events WHERE station_id = ? AND day = ?"
                " AND kind = ? AND subject_id IS NOT NULL ORDER BY id", (self.station_id, self.today(), K.CHECK_IN)):
            if number is not None:
                found.setdefault(sid, int(number))
        return found

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
        # the latest bind and the latest unbind of this station, each one index lookup; bound if the bind is newer
        row = self.conn.execute(
            "SELECT b.subject_id, b.id > COALESCE((SELECT MAX(u.id) FROM events u WHERE u.station_id = ?"
            " AND u.kind = ?), 0) FROM events b WHERE b.id = (SELECT MAX(id) FROM events WHERE station_id = ?"
            " AND kind = ?)", (self.station_id, K.UNBIND, self.station_id, K.BIND)).fetchone()
        return row[0] if row and row[1] else None

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


class TakeQueries(_Topic):
    """The takes: each one's current state (take_current), their originals, the accepted ones."""

    def take(self, take_id: int) -> Take:
        row = self.conn.execute("SELECT * FROM take_state WHERE take_id = ?", (take_id,)).fetchone()
        if row is None:
            raise SessionError(_("no take {take} in this workspace", take=take_id))
        return self._takes_from_rows([row])[0]

    def _takes_from_rows(self, rows: list[sqlite3.Row]) -> list[Take]:
        """Takes with their originals (one query for all of them; the verdict decoded only when read)."""
        files: dict[int, list[OriginalFile]] = {}
        if rows:
            for r in self.conn.execute("SELECT * FROM originals WHERE take_id IN (SELECT value FROM json_each(?))"
                                       " ORDER BY id", (json.dumps([row["take_id"] for row in rows]),)):
                files.setdefault(r["take_id"], []).append(
                    OriginalFile(r["file"], r["sha256"], r["size"], r["kind"], r["camera_file"], r["mirror"]))
        return [Take(id=row["take_id"], seq=row["seq"], subject_id=row["subject_id"], captured_at=row["captured_at"],
                     source=row["source"], station_id=row["station_id"], decision=row["decision"],
                     verdict_json=row["verdict"], files=tuple(files.get(row["take_id"], ())))
                for row in rows]

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
        return self._takes_from_rows(self.conn.execute(sql, args).fetchall())

    def last_take(self) -> Take | None:
        row = self.conn.execute("SELECT * FROM take_state WHERE station_id = ? ORDER BY seq DESC LIMIT 1",
                                (self.station_id,)).fetchone()
        return self._takes_from_rows([row])[0] if row else None

    def unbound_takes(self) -> list[Take]:
        """Frames with nobody bound (camera button): each must be rebound or voided."""
        return self.takes(unbound=True, include_void=False)

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

    def accepted_takes(self, *, overridden_only: bool = False) -> list[AcceptedTake]:
        """Every accepted, bound take with its (latest) acceptance, in acceptance order (`overridden_only`: those
        accepted despite their verdict). One indexed pass over take_current (which keeps each take's finished
        photo); the override is picked out by SQLite."""
        rows = self.conn.execute(
            "SELECT s.take_id, s.seq, s.captured_at, s.station_id, s.subject_id, s.source,"
            " s.photo, s.photo_sha256 AS photo_sha, json_extract(s.verdict, '$.validation') AS validation,"
            " a.id AS accept_id, a.ts, CASE WHEN json_type(a.data, '$.override') = 'object'"
            "   THEN json_extract(a.data, '$.override') END AS override"
            " FROM take_state s JOIN events a ON a.id = s.accept_event"
            " WHERE s.decision = ? AND s.subject_id IS NOT NULL"
            + (" AND json_type(a.data, '$.override') = 'object'" if overridden_only else "") + " ORDER BY a.id",
            (K.ACCEPT,))
        return [AcceptedTake(row["take_id"], row["seq"], row["subject_id"], row["station_id"], row["captured_at"],
                             row["source"], row["accept_id"], row["ts"], row["photo"], row["photo_sha"],
                             _override(row["override"]),
                             json.loads(row["validation"]) if row["validation"] else None) for row in rows]

    def override_rows(self) -> list[dict[str, Any]]:
        """Photos accepted despite their verdict, as the day's check lists them: take, masked code, name, college,
        reason, operator, when, and the codes they overrode (review, the console, the merged review)."""
        rows = []
        for take in self.accepted_takes(overridden_only=True):
            if take.override is None:
                continue
            subject = self.subject(take.subject_id)
            rows.append({"take": take.take_id, "code": mask_code(subject.code), "name": subject.name,
                         "college": subject.college or NO_COLLEGE, "reason": take.override_reason,
                         "operator": take.override.get("operator"), "accepted_at": take.accepted_at,
                         "overrode": [e.get("code") for e in take.override.get("overrode") or []]})
        return rows

    def take_facts(self) -> list[dict[str, Any]]:
        """Every take with who sat for it and who owns it now, folded from its events in one pass (the sign-off
        sheet's question): take_id, seq, station_id, source, day (shot), shot_for (the subject bound when it was
        shot), owner (after rebinds), decision (void wins, else the latest accept or reject)."""
        facts: dict[int, dict[str, Any]] = {}
        for r in self.conn.execute("SELECT id, seq, station_id, source, captured_at FROM takes ORDER BY seq"):
            facts[r[0]] = {"take_id": r[0], "seq": r[1], "station_id": r[2], "source": r[3], "day": r[4][:10],
                           "shot_for": None, "owner": None, "decision": None}
        for kind, take_id, subject_id, day in self.conn.execute(
                "SELECT kind, take_id, subject_id, day FROM events WHERE kind IN (?, ?, ?, ?, ?)"
                " AND take_id IS NOT NULL ORDER BY id", (K.CAPTURE, K.REBIND, K.ACCEPT, K.REJECT, K.VOID)):
            fact = facts.get(take_id)
            if fact is None:
                continue
            if kind == K.CAPTURE:
                fact.update(shot_for=subject_id, owner=subject_id, day=day)
            elif kind == K.REBIND:
                fact["owner"] = subject_id
            elif fact["decision"] != "void":
                fact["decision"] = str(kind)
        return list(facts.values())

    def originals(self) -> dict[str, tuple[int, str]]:
        """Every journalled original: relative file -> (size, sha256)."""
        return {r["file"]: (r["size"], r["sha256"]) for r in self.conn.execute("SELECT * FROM originals")}


class StatusQueries(_Topic):
    """Decisions summed up: each student's status, rejections, counts per college."""

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
        return [(sid, reason if reason is not None else "") for sid, reason in self.conn.execute(
            "SELECT subject_id, json_extract(data, '$.reason') FROM events WHERE kind = ? ORDER BY id", (K.REJECT,))]

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


#: the read model's topics: (attribute, class); a query is asked of the read model by its name and answered
#: by the topic that has it (`read.statuses()` is `read.tally.statuses()`)
TOPICS: tuple[tuple[str, type[_Topic]], ...] = (("people", SubjectQueries), ("desk", DeskQueries),
                                                ("shots", TakeQueries), ("tally", StatusQueries))
_ROUTES = {name: attr for attr, cls in TOPICS for name, value in vars(cls).items()
           if callable(value) and not name.startswith("__")}


class ReadModel:
    """Queries over one workspace's journal, for one station (whose binding, queue and numbers they are).

    `ReadModel.open(path)` reads a journal without writing anything (SQLite read-only): another station's
    workspace, a replicated copy of its journal, the reports. The queries live in four topics (`people`,
    `desk`, `shots`, `tally`); each is also asked by its name here, so `read.takes(...)` is
    `read.shots.takes(...)`."""

    def __init__(self, conn: sqlite3.Connection, *, station_id: str, clock: Clock) -> None:
        self.conn = conn
        self.station_id = station_id
        self.clock = clock
        #: the workspace folder the journal lies in (its files, its replicas); None for a bare connection
        self.workspace: Path | None = None
        self.people = SubjectQueries(self)
        self.desk = DeskQueries(self)
        self.shots = TakeQueries(self)
        self.tally = StatusQueries(self)

    @classmethod
    def open(cls, path: Path, *, station_id: str | None = None, clock: Clock | None = None) -> "ReadModel":
        """Read the journal of a workspace folder (or a journal file itself) without writing to it: opened
        read-only, no schema written, the older schema read as it is. `station_id` (whose binding, queue and
        numbers `desk` answers) defaults to the workspace's station.toml, else the journal's first station.
        Close it when done (or use it in a `with`)."""
        journal_path = path / journal.JOURNAL_FILE if path.is_dir() else path
        if not journal_path.is_file():
            raise StoreError(_("{folder}: no journal here; run 'station init' first", folder=path))
        conn = journal.connect_readonly(journal_path)
        try:
            if station_id is None:
                station_id = _station_of(journal_path.parent, conn)
        except BaseException:
            conn.close()
            raise
        model = cls(conn, station_id=station_id, clock=clock or SystemClock())
        model.workspace = journal_path.parent
        return model

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "ReadModel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        topic = _ROUTES.get(name)
        if topic is None or topic not in self.__dict__:
            raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")
        return getattr(self.__dict__[topic], name)

    @property
    def readonly_reason(self) -> str | None:
        """Why the journal cannot be written (None when it can); a read model never writes either way."""
        return getattr(self.conn, "readonly_reason", None)

    def _one(self, sql: str, *args: Any) -> Any:
        row = self.conn.execute(sql, args).fetchone()
        return row[0] if row else None

    def today(self) -> str:
        return self.clock.now().date().isoformat()

    def latest_event_id(self) -> int:
        """Grows with every event any process writes: a screen compares it to know when to redraw."""
        return int(self._one("SELECT COALESCE(MAX(id), 0) FROM events"))


def _station_of(folder: Path, conn: sqlite3.Connection) -> str:
    """The station a workspace belongs to: its station.toml, else the station that created the journal."""
    from config.settings import SETTINGS_FILE, load_settings
    if (folder / SETTINGS_FILE).is_file():
        return load_settings(folder).station.id
    row = conn.execute("SELECT station_id FROM events ORDER BY id LIMIT 1").fetchone()
    return str(row[0]) if row else ""


def _override(override_json: str | None) -> dict[str, Any] | None:
    """The override an accept event carries (station.session.override decides when one is needed)."""
    override = json.loads(override_json) if override_json else None
    return override if isinstance(override, dict) else None
