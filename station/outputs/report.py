"""The end-of-day report as data: who was photographed, who is missing, who paid, who signed.

Built from one or more workspaces (several rooms shoot in parallel), merged per subject code, so the
registrar sees one picture of the day. Rendering (text, CSV, JSON, HTML) lives elsewhere; this module only
reads the stores. Full ID numbers never leave this module: rows carry the masked form only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from station.core.idnumber import mask_code
from station.store.models import Subject, Take
from station.store.workspace import Store

log = logging.getLogger(__name__)

NO_COLLEGE = "(no college)"
NO_CLASS = "(no class)"

# A subject's status across several workspaces is the "best" one any of them has.
_RANK = {"unshot": 0, "rejected": 1, "shot": 2, "accepted": 3}


@dataclass(frozen=True)
class StudentRow:
    """One subject as the report sees it (merged over workspaces)."""
    code: str                       # masked when the code is an ID number (roster-less sessions)
    student_no: str | None
    name: str | None
    college: str
    class_name: str
    masked_id: str
    paid: bool | None
    in_roster: bool
    checked_in: bool
    status: str                     # unshot | shot (pending decision) | rejected (only) | accepted
    source: str | None = None       # accepted photo: "station" (shot here) | "submitted" (sent in)
    photo: Path | None = None       # accepted take's finished 480x640 JPEG
    station_id: str | None = None   # where the accepted take was shot / recorded
    take_seq: int | None = None


@dataclass(frozen=True)
class GroupCounts:
    """Counts for one college + class; accepted + pending + rejected_only + not_shot == subjects."""
    college: str
    class_name: str
    roster: int = 0
    subjects: int = 0
    checked_in: int = 0
    accepted: int = 0
    submitted: int = 0              # of the accepted, how many photos were sent in by the student
    pending: int = 0
    rejected_only: int = 0
    not_shot: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"college": self.college, "class": self.class_name, "roster": self.roster,
                "subjects": self.subjects, "checked_in": self.checked_in, "accepted": self.accepted,
                "submitted": self.submitted, "pending": self.pending, "rejected_only": self.rejected_only,
                "not_shot": self.not_shot}


@dataclass(frozen=True)
class SignoffRow:
    """One line of the shooting-number sign-off sheet (the student signs beside it)."""
    station_id: str
    day: str
    shoot_no: int
    code: str                       # masked when the code is an ID number (roster-less sessions)
    student_no: str | None
    name: str | None
    college: str
    class_name: str


@dataclass(frozen=True)
class Conflict:
    """A subject accepted in more than one workspace: the export must choose; the report only warns."""
    code: str
    takes: tuple[str, ...]          # "station-seq" of each accepted take


@dataclass(frozen=True)
class Report:
    workspaces: tuple[str, ...]
    students: tuple[StudentRow, ...]
    groups: tuple[GroupCounts, ...]
    signoff: tuple[SignoffRow, ...]
    conflicts: tuple[Conflict, ...] = ()
    colleges_filter: tuple[str, ...] = field(default_factory=tuple)

    @property
    def refunds(self) -> list[StudentRow]:
        """Paid but no accepted photo: the money goes back (or they come again)."""
        return [s for s in self.students if s.paid is True and s.status != "accepted"]

    @property
    def unpaid_photographed(self) -> list[StudentRow]:
        """Accepted photo but the roster says not paid: collect before upload."""
        return [s for s in self.students if s.paid is False and s.status == "accepted"]

    @property
    def accepted(self) -> list[StudentRow]:
        return [s for s in self.students if s.status == "accepted"]

    def totals(self) -> GroupCounts:
        keys = ("roster", "subjects", "checked_in", "accepted", "submitted", "pending", "rejected_only",
                "not_shot")
        sums = {k: sum(getattr(g, k) for g in self.groups) for k in keys}
        return GroupCounts("total", "", **sums)

    def classes(self) -> list[tuple[str, str, list[StudentRow]]]:
        """(college, class, students) in report order: what the contact sheets are cut by."""
        out: dict[tuple[str, str], list[StudentRow]] = {}
        for s in self.students:
            out.setdefault((s.college, s.class_name), []).append(s)
        return [(c, k, rows) for (c, k), rows in out.items()]


@dataclass
class _Merged:
    subject: Subject
    status: str = "unshot"
    checked_in: bool = False
    in_roster: bool = False
    accepted: list[tuple[Store, Take]] = field(default_factory=list)


def build_report(stores: Sequence[Store], colleges: Iterable[str] = ()) -> Report:
    """Read every store and merge per subject code; `colleges` (if any) limits the report to those."""
    wanted = tuple(colleges)
    merged: dict[str, _Merged] = {}
    checkins: list[tuple[str, str, int, int, str]] = []   # station, day, shoot_no, event id, code
    for store in stores:
        statuses = store.statuses()
        checked = store.checked_in_ids()
        accepted = _accepted_takes(store)
        by_id: dict[int, Subject] = {}
        for subject in store.subjects():
            by_id[subject.id] = subject
            entry = merged.setdefault(subject.code, _Merged(subject))
            if subject.in_roster and not entry.subject.in_roster:
                entry.subject = subject          # the roster's record beats a scan-only one
            status = statuses.get(subject.id, "unshot")
            if _RANK[status] > _RANK[entry.status]:
                entry.status = status
            entry.checked_in |= subject.id in checked
            entry.in_roster |= subject.in_roster
            if subject.id in accepted:
                entry.accepted.append((store, accepted[subject.id]))
        for rec in store.check_ins():
            subject = by_id.get(rec.subject_id)
            if subject is not None:
                checkins.append((rec.station_id, rec.day, rec.shoot_no or 0, rec.event_id, subject.code))

    students: list[StudentRow] = []
    conflicts: list[Conflict] = []
    shown: dict[str, StudentRow] = {}       # raw code -> row (the raw code never leaves this function)
    for code, entry in merged.items():
        row = _student_row(entry)
        if wanted and row.college not in wanted:
            continue
        students.append(row)
        shown[code] = row
        if len(entry.accepted) > 1:
            conflicts.append(Conflict(row.code, tuple(f"{t.station_id}-{t.seq}" for _, t in entry.accepted)))
    students.sort(key=lambda s: (s.college, s.class_name, s.student_no or "", s.code))
    signoff = [SignoffRow(station, day, no, shown[code].code, shown[code].student_no, shown[code].name,
                          shown[code].college, shown[code].class_name)
               for station, day, no, _, code in sorted(checkins) if code in shown]
    if conflicts:
        log.warning("%d subject(s) accepted in more than one workspace", len(conflicts))
    return Report(workspaces=tuple(str(s.workspace) for s in stores), students=tuple(students),
                  groups=tuple(_group_counts(students)), signoff=tuple(signoff),
                  conflicts=tuple(conflicts), colleges_filter=wanted)


def _accepted_takes(store: Store) -> dict[int, Take]:
    """subject id -> its accepted take (the latest, if a subject somehow has two)."""
    found: dict[int, Take] = {}
    for take in store.takes(include_void=False):
        if take.decision == "accept" and take.subject_id is not None:
            found[take.subject_id] = take
    return found


def _student_row(entry: _Merged) -> StudentRow:
    s = entry.subject
    source = photo = station_id = seq = None
    if entry.status == "accepted" and entry.accepted:
        store, take = max(entry.accepted, key=lambda pair: pair[1].captured_at)
        source = "submitted" if take.source == "submitted" else "station"
        rel = (take.verdict or {}).get("photo")
        photo = store.workspace / rel if rel else None
        station_id, seq = take.station_id, take.seq
    return StudentRow(code=mask_code(s.code), student_no=s.student_no, name=s.name,
                      college=s.college or NO_COLLEGE, class_name=s.class_name or NO_CLASS,
                      masked_id=s.masked_id, paid=s.paid,
                      in_roster=entry.in_roster, checked_in=entry.checked_in, status=entry.status,
                      source=source, photo=photo, station_id=station_id, take_seq=seq)


def _group_counts(students: Sequence[StudentRow]) -> list[GroupCounts]:
    table: dict[tuple[str, str], dict[str, int]] = {}
    for s in students:
        c = table.setdefault((s.college, s.class_name), dict.fromkeys(
            ("roster", "subjects", "checked_in", "accepted", "submitted", "pending", "rejected_only",
             "not_shot"), 0))
        c["roster"] += s.in_roster
        c["subjects"] += 1
        c["checked_in"] += s.checked_in
        c["accepted"] += s.status == "accepted"
        c["submitted"] += s.status == "accepted" and s.source == "submitted"
        c["pending"] += s.status == "shot"
        c["rejected_only"] += s.status == "rejected"
        c["not_shot"] += s.status == "unshot"
    return [GroupCounts(college, klass, **counts) for (college, klass), counts in sorted(table.items())]
