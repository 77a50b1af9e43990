"""Small frozen records the store hands out: subjects, check-ins, takes and their files."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from station.core.idnumber import mask_code, mask_id_number

SUBJECT_FIELDS = ("student_no", "name", "sex", "id_number", "college", "major", "class_name", "level",
                  "paid", "collect_code")


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
                   source=row["source"], in_roster=bool(row["in_roster"]), extra=json.loads(row["extra"]))

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    def public_dict(self) -> dict[str, Any]:
        """For --json and screens: the ID number masked, everything else as stored."""
        return {"code": mask_code(self.code), "student_no": self.student_no, "name": self.name, "sex": self.sex,
                "id_number": self.masked_id or None, "college": self.college, "major": self.major,
                "class": self.class_name, "level": self.level, "paid": self.paid, "source": self.source}


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
    verdict: dict[str, Any] | None
    files: tuple[OriginalFile, ...] = ()

    @property
    def primary(self) -> OriginalFile:
        """The file the pipeline works on: the JPEG of a RAW+JPEG pair, else the first file."""
        for f in self.files:
            if f.kind == "jpeg":
                return f
        return self.files[0]


@dataclass(frozen=True)
class Reconciliation:
    """What a restart found when comparing the journal with the files on disk."""
    orphans: tuple[str, ...] = ()     # files on disk that no event acknowledges (never deleted)
    missing: tuple[str, ...] = ()     # journalled files that are gone
    damaged: tuple[str, ...] = ()     # journalled files whose size or sha256 differ
    temp_files: tuple[str, ...] = ()  # half-written temp files left by a crash (never acknowledged)

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.missing or self.damaged)
