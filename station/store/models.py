"""Small frozen records the store hands out (subjects, check-ins, takes and their files), and the status rule.

A subject's status comes from its takes' decisions, and across several workspaces the "best" status wins:
both rules live here, once, for the status command, the review list, the report and the export.
"""
from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Iterable

from station.core.idnumber import mask_code, mask_id_number, mask_name

SUBJECT_FIELDS = ("student_no", "name", "sex", "id_number", "college", "major", "class_name", "level",
                  "paid", "collect_code")

#: where a subject without a college is counted and exported
NO_COLLEGE = "未分学院"   # a folder and a report row: Chinese like every export file

#: unshot | rejected (only rejected takes) | shot (a take awaits a decision) | accepted, worst to best
STATUS_RANK = {"unshot": 0, "rejected": 1, "shot": 2, "accepted": 3}
STATUSES = ("unshot", "shot", "accepted", "rejected")


def status_from(decisions: Iterable[str | None]) -> str:
    """A subject's status from the decisions on its non-void takes (None: not decided yet)."""
    seen = list(decisions)
    if not seen:
        return "unshot"
    if "accept" in seen:
        return "accepted"
    if None in seen:
        return "shot"
    return "rejected"


def best_status(statuses: Iterable[str]) -> str:
    """One person seen by several workspaces has the best status any of them gives."""
    return max(statuses, key=STATUS_RANK.__getitem__, default="unshot")


@dataclass(frozen=True)
class Subject:
    """A person to photograph: from the roster, or (registry sessions) from the scanned code alone."""
    id: int
    code: str                     # the primary key people see: student number, else the scanned code
    student_no: str | None = None
    name: str | None = None
    sex: str | None = None
    id_number: str | None = None
    college: str | None = None
    major: str | None = None
    class_name: str | None = None
    level: str | None = None
    paid: bool | None = None
    collect_code: str | None = None
    source: str = "roster"        # roster | scan | submitted
    in_roster: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Subject":
        return cls(id=row["id"], code=row["code"], student_no=row["student_no"], name=row["name"],
                   sex=row["sex"], id_number=row["id_number"], college=row["college"], major=row["major"],
                   class_name=row["class_name"], level=row["level"],
                   paid=None if row["paid"] is None else bool(row["paid"]), collect_code=row["collect_code"],
                   source=row["source"], in_roster=bool(row["in_roster"]),
                   extra=json.loads(row["extra"]) if row["extra"] != "{}" else {})

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    def public_dict(self) -> dict[str, Any]:
        """For --json and screens: the ID number masked, everything else as stored."""
        return {"code": mask_code(self.code), "student_no": self.student_no, "name": self.name, "sex": self.sex,
                "id_number": self.masked_id or None, "college": self.college, "major": self.major,
                "class": self.class_name, "level": self.level, "paid": self.paid, "source": self.source}


def match_keys(row: dict[str, Any]) -> list[tuple[str, str]]:
    """The (key, value) lookups, in order, that find the existing subject a roster row updates: same student
    number, else same ID number, else same code, else a subject whose code is the row's 采集码."""
    found = [(key, row[key]) for key in ("student_no", "id_number", "code") if row.get(key)]
    if row.get("collect_code"):
        found.append(("code", row["collect_code"]))
    return found


def stored_values(values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Subject fields and extra data as the journal stores them (paid as 0/1, extra as sorted JSON)."""
    fields = {f: values.get(f) for f in SUBJECT_FIELDS}
    if fields["paid"] is not None:
        fields["paid"] = int(bool(fields["paid"]))
    return fields, json.dumps(values.get("extra") or {}, ensure_ascii=False, sort_keys=True)


def roster_unchanged(subject: "Subject", row: dict[str, Any]) -> bool:
    """True when importing `row` over `subject` would change nothing (so it is counted as unchanged)."""
    current = stored_values({**{f: getattr(subject, f) for f in SUBJECT_FIELDS}, "extra": subject.extra})
    return current == stored_values(row) and subject.in_roster and subject.code == row["code"]


def describe_subject(subject: Subject) -> str:
    """One line for logs: no full ID number, no full name."""
    return f"{mask_code(subject.code)} {mask_name(subject.name)} {mask_id_number(subject.id_number)}".strip()


@dataclass(frozen=True)
class CapturedFile:
    """One file of a shot, as handed to the writer's `record_capture`."""
    data: bytes
    kind: str = "jpeg"            # jpeg | raw
    camera_file: str = ""         # the camera's own name (kept for the record, never used as ours)


@dataclass(frozen=True)
class CheckIn:
    subject: Subject
    shoot_no: int                 # 拍摄号: per station, per day, in check-in order
    day: str
    repeated: bool                # the subject was already checked in today: same number
    bound: bool                   # False in queue mode: the subject joined the queue
    moved_from: Subject | None = None   # a bound, not-yet-shot subject the binding was taken from


@dataclass(frozen=True)
class OriginalFile:
    file: str                     # relative to the workspace
    sha256: str
    size: int
    kind: str                     # jpeg | raw
    camera_file: str = ""
    mirror: str | None = None


@dataclass(frozen=True)
class Take:
    id: int
    seq: int
    subject_id: int | None        # None: an unbound frame (camera button with nobody bound)
    captured_at: str
    source: str                   # trigger | button | hotfolder | submitted
    station_id: str
    decision: str | None          # None (pending) | accept | reject | void
    verdict_json: str | None = None   # the verdict as journalled; decoded only when `verdict` is asked for
    files: tuple[OriginalFile, ...] = ()

    @functools.cached_property
    def verdict(self) -> dict[str, Any] | None:
        """The pipeline's latest verdict on this take (None before it was judged)."""
        return json.loads(self.verdict_json) if self.verdict_json else None

    @property
    def primary(self) -> OriginalFile:
        """The file the pipeline works on: the first one, since a shot's files are stored JPEG first
        (camera.frame.jpeg_first, applied by the session before a take is recorded)."""
        return self.files[0]


@dataclass(frozen=True)
class Reconciliation:
    """What a restart found when comparing the journal with the files on disk."""
    orphans: tuple[str, ...] = ()     # files on disk that no event acknowledges (never deleted)
    missing: tuple[str, ...] = ()     # journalled files that are gone
    damaged: tuple[str, ...] = ()     # journalled files whose size or sha256 differ
    temp_files: tuple[str, ...] = ()  # half-written temp files left by a crash (never acknowledged)
    quarantined: tuple[str, ...] = ()  # orphans moved aside because a journalled original has their bytes

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.missing or self.damaged)


@dataclass(frozen=True)
class Recovery:
    """What the writer did with a crash's leftovers before the next capture (journalled as one event)."""
    adopted: tuple[int, ...] = ()        # takes made from orphan originals (unbound: rebind or void them)
    quarantined: tuple[str, ...] = ()    # orphans moved aside (their bytes are journalled already)
    temp_removed: tuple[str, ...] = ()   # half-written temp files deleted (never acknowledged)

    @property
    def nothing(self) -> bool:
        return not (self.adopted or self.quarantined or self.temp_removed)
