"""The end-of-day report as data: who was photographed, who is missing, who paid, who signed.

Built from one or more workspaces (several rooms shoot in parallel) through the one merge the export uses
too (`station.outputs.merge`), so the registrar sees one picture of the day: one row per person. Rendering
(text, CSV, JSON, HTML) lives elsewhere; this module only reads the stores. Full ID numbers never leave this module: rows carry the masked form only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from station.core.idnumber import mask_code
from station.outputs.merge import Candidate, Person, Source, choose, gather

log = logging.getLogger(__name__)

NO_CLASS = "(no class)"


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


def build_report(sources: Sequence[Source], colleges: Iterable[str] = ()) -> Report:
    """The day over every workspace, one row per person of the merge; `colleges` (if any) limits it."""
    wanted = tuple(colleges)
    students: list[StudentRow] = []
    conflicts: list[Conflict] = []
    signoff: list[tuple[tuple[str, str, int, int], StudentRow]] = []
    for person in gather(list(sources)):
        winner, conflict = choose(person, prefer_newest=True)
        row = _student_row(person, winner)
        if wanted and row.college not in wanted:
            continue
        students.append(row)
        if conflict is not None:
            conflicts.append(Conflict(row.code, tuple(f"{c.station_id}-{c.seq}" for c in conflict.candidates)))
        for rec in person.records:
            signoff += [((c.station_id, c.day, c.shoot_no or 0, c.event_id), row) for c in rec.check_ins]
    students.sort(key=lambda s: (s.college, s.class_name, s.student_no or "", s.code))
    if conflicts:
        log.warning("%d subject(s) accepted in more than one workspace", len(conflicts))
    return Report(workspaces=tuple(str(s.workspace) for s in sources), students=tuple(students),
                  groups=tuple(_group_counts(students)),
                  signoff=tuple(SignoffRow(station, day, no, r.code, r.student_no, r.name, r.college, r.class_name)
                                for (station, day, no, _), r in sorted(signoff, key=lambda pair: pair[0])),
                  conflicts=tuple(conflicts), colleges_filter=wanted)


def _student_row(person: Person, winner: Candidate | None) -> StudentRow:
    record = person.display(winner)
    s = record.subject
    source = photo = station_id = seq = None
    if person.status == "accepted" and winner is not None:
        source = "submitted" if winner.source == "submitted" else "station"
        photo, station_id, seq = winner.photo_path, winner.station_id, winner.seq
    return StudentRow(code=mask_code(s.code), student_no=s.student_no, name=s.name, college=record.college,
                      class_name=s.class_name or NO_CLASS, masked_id=s.masked_id, paid=s.paid,
                      in_roster=person.in_roster, checked_in=person.checked_in, status=person.status,
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
