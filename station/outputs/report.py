"""The end-of-day report as data: who was photographed, who is missing, who paid, who signed.

Built from one or more workspaces (several rooms shoot in parallel) through the one merge the export uses
too (`station.outputs.merge`), so the registrar sees one picture of the day: one row per person. Rendering
(text, CSV, JSON, HTML) lives elsewhere; this module only reads the stores. Full ID numbers never leave this module: rows carry the masked form only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from config.i18n import N_, _
from station.core.idnumber import mask_code
from station.outputs.merge import Candidate, Person, Source, choose, gather
from station.store.models import status_from

log = logging.getLogger(__name__)

NO_CLASS = N_("(no class)")


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
    walk_in: bool = False           # checked in without being on the roster (现场补录)


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
    """One line of the shooting-number sign-off sheet: the person who sat for the photos shot under this
    number signs beside it. A scanned student whose number has no photo of theirs (the takes were rebound to
    the person who really sat, or voided) keeps the line, marked scanned-not-photographed."""
    station_id: str
    day: str
    shoot_no: int | None            # None: a frame shot with nobody bound, rebound to this person
    code: str                       # masked when the code is an ID number (roster-less sessions)
    student_no: str | None
    name: str | None
    college: str
    class_name: str
    status: str = "scanned"         # scanned (no photo under this number) | shot | rejected | accepted
    takes: tuple[int, ...] = ()     # seq of the photos under this number that are this person's
    rebound_from: str | None = None  # the scanned student this number was given to (a rebind)
    rebound_to: tuple[str, ...] = ()  # who the photos under this number went to (on the scanned line)
    walk_in: bool = False


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
    people = gather(list(sources))
    rows: dict[tuple[int, int], StudentRow] = {}
    chosen = []
    for person in people:
        winner, conflict = choose(person, prefer_newest=True)
        row = _student_row(person, winner)
        for rec in person.records:
            rows[(rec.source.index, rec.subject.id)] = row
        chosen.append((person, row, conflict))
    for person, row, conflict in chosen:
        if wanted and row.college not in wanted:
            continue
        students.append(row)
        if conflict is not None:
            conflicts.append(Conflict(row.code, tuple(f"{c.station_id}-{c.seq}" for c in conflict.candidates)))
    students.sort(key=lambda s: (s.college, s.class_name, s.student_no or "", s.code))
    if conflicts:
        log.warning("%d subject(s) accepted in more than one workspace", len(conflicts))
    signoff = [line for line in signoff_lines(people, rows) if not wanted or line.college in wanted]
    return Report(workspaces=tuple(str(s.workspace) for s in sources), students=tuple(students),
                  groups=tuple(_group_counts(students)), signoff=tuple(signoff),
                  conflicts=tuple(conflicts), colleges_filter=wanted)


def _who(row: StudentRow) -> str:
    return f"{row.student_no or row.code} {row.name or ''}".strip()


def signoff_lines(people: Sequence[Person], rows: dict[tuple[int, int], StudentRow]) -> list[SignoffRow]:
    """The sign-off sheet from the takes: per 拍摄号, a line for each person whose photos were shot under it
    (the owner after rebinds), and the scanned student's own line (scanned, not photographed, when none of those
    photos is theirs). A frame shot with nobody bound and rebound to someone goes on their line of that day, or
    on a line without a number when they have none."""
    found: list[tuple[tuple[str, str, int, tuple[int, int]], SignoffRow]] = []

    def line(row: StudentRow, station: str, day: str, no: int | None, takes: list[Any], order: tuple[int, int],
             **extra: Any) -> None:
        live = [t for t in takes if t.decision != "void"]
        status = status_from(t.decision for t in live) if live else "scanned"
        found.append(((station, day, no if no is not None else 1 << 30, order), SignoffRow(
            station, day, no, row.code, row.student_no, row.name, row.college, row.class_name,
            "scanned" if status == "unshot" else status, tuple(t.seq for t in live), walk_in=row.walk_in,
            **extra)))

    for person in people:
        for rec in person.records:
            me = rows[(rec.source.index, rec.subject.id)]
            # frames shot with nobody bound and rebound to this person: under their number of that day, if any
            unnumbered = [t for t in rec.owned if t.shoot_no is None and t.shot_for_id is None
                          and t.source != "submitted" and t.decision != "void"]
            for c in rec.check_ins:
                under = [t for t in rec.shot_under if (t.station_id, t.day) == (c.station_id, c.day)]
                owners: dict[int | None, list[Any]] = {}
                for t in under:
                    if t.decision != "void":
                        owners.setdefault(t.owner_id, []).append(t)
                mine = [t for t in under if t.owner_id == rec.subject.id]
                folded = [t for t in unnumbered if (t.station_id, t.day) == (c.station_id, c.day)]
                unnumbered = [t for t in unnumbered if t not in folded]
                others = [rows[(rec.source.index, o)] for o in owners if o is not None and o != rec.subject.id
                          and (rec.source.index, o) in rows]
                line(me, c.station_id, c.day, c.shoot_no, mine + folded, (c.event_id, 0),
                     rebound_to=tuple(_who(o) for o in others))
                for owner_id, takes in owners.items():
                    if owner_id is None or owner_id == rec.subject.id or (rec.source.index, owner_id) not in rows:
                        continue
                    line(rows[(rec.source.index, owner_id)], c.station_id, c.day, c.shoot_no, takes,
                         (c.event_id, 1), rebound_from=_who(me))
            if unnumbered:
                first = unnumbered[0]
                line(me, first.station_id, first.day, None, unnumbered, (first.seq, 0))
    return [row for _key, row in sorted(found, key=lambda pair: pair[0])]


def _student_row(person: Person, winner: Candidate | None) -> StudentRow:
    record = person.display(winner)
    s = record.subject
    source = photo = station_id = seq = None
    if person.status == "accepted" and winner is not None:
        source = "submitted" if winner.source == "submitted" else "station"
        photo, station_id, seq = winner.photo_path, winner.station_id, winner.seq
    return StudentRow(code=mask_code(s.code), student_no=s.student_no, name=s.name, college=record.college,
                      class_name=s.class_name or _(NO_CLASS), masked_id=s.masked_id, paid=s.paid,
                      in_roster=person.in_roster, checked_in=person.checked_in, status=person.status,
                      source=source, photo=photo, station_id=station_id, take_seq=seq, walk_in=person.walk_in)


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
