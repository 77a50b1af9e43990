"""The one multi-workspace merge: people, their accepted takes and conflicts, over one or more workspaces.

Export, report, print sheets and contact sheets all read the day through this module, so a student is one
person with one college and one status everywhere. Several rooms shoot in parallel, each with its own
journal. A person is the same person across workspaces when they share a student number, ID number or code
(a roster-less station knows a student only by the scanned code, which is often the student number, or by the
scanned ID number). A roster record names the person; a roster-less record gets the college recorded at its
check-in. The best status any workspace has wins (`best_status`). Within one workspace the newest acceptance
wins; two workspaces that both accepted a (different) take for one person is a conflict the registrar settles.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from config.formats import FormatPreset, load_preset
from config.i18n import _
from config.settings import load_settings
from station.core.errors import ExportError
from station.store.models import NO_COLLEGE, Subject, best_status
from station.store.queries import CheckInRecord, ReadModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """One station workspace taking part in the export."""
    index: int
    workspace: Path
    station_id: str
    preset: FormatPreset
    naming: str


@dataclass(frozen=True)
class Record:
    """A subject as one workspace knows it, with the college and status it has there."""
    source: Source
    subject: Subject
    college: str
    status: str                     # unshot | shot | accepted | rejected
    checked_in: bool
    check_ins: tuple[CheckInRecord, ...] = ()            # in journal order


@dataclass(frozen=True)
class Candidate:
    """An accepted take with a finished photo: what would be exported for its subject."""
    record: Record
    take_id: int
    seq: int
    station_id: str
    captured_at: str
    accepted_at: str
    accept_event: int
    photo: str | None               # relative to the workspace; None when the pipeline gave no photo
    photo_sha256: str | None
    source: str = "trigger"         # how the take came in (trigger | button | hotfolder | submitted)
    override: str | None = None     # accepted despite its verdict, for this reason

    @property
    def shoot_no(self) -> int | None:
        """The shooting number of the check-in that led to this acceptance (else the latest one)."""
        before = [c.shoot_no for c in self.record.check_ins if c.event_id < self.accept_event]
        pool = before or [c.shoot_no for c in self.record.check_ins]
        return pool[-1] if pool else None

    @property
    def identity(self) -> tuple[str, int, str | None]:
        """The same take seen twice (a workspace copied, or given twice) is not a conflict."""
        return (self.station_id, self.seq, self.photo_sha256)

    @property
    def photo_path(self) -> Path | None:
        return self.record.source.workspace / self.photo if self.photo else None

    def accepted_time(self) -> datetime:
        return datetime.fromisoformat(self.accepted_at)

    def describe(self) -> dict[str, Any]:
        return {"station_id": self.station_id, "take_id": self.take_id, "seq": self.seq,
                "accepted_at": self.accepted_at, "captured_at": self.captured_at,
                "workspace": str(self.record.source.workspace)}


@dataclass
class Person:
    """Everything the sources know about one student."""
    records: list[Record] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)

    def display(self, winner: Candidate | None = None) -> Record:
        """The record whose fields name the person: a roster record beats a bare scan."""
        for rec in self.records:
            if rec.subject.in_roster:
                return rec
        return winner.record if winner is not None else self.records[0]

    @property
    def status(self) -> str:
        return best_status(r.status for r in self.records)

    @property
    def checked_in(self) -> bool:
        return any(r.checked_in for r in self.records)

    @property
    def in_roster(self) -> bool:
        return any(r.subject.in_roster for r in self.records)


@dataclass(frozen=True)
class Conflict:
    """One person accepted at two or more stations."""
    person: Person
    candidates: tuple[Candidate, ...]
    resolved_to: Candidate | None = None


def open_sources(paths: Iterable[Path]) -> list[Source]:
    """Describe each workspace once (duplicates by resolved path dropped)."""
    sources: list[Source] = []
    seen: set[Path] = set()
    for path in paths:
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        settings = load_settings(path)
        with ReadModel.open(path):                 # a journal must be there: refused as a workspace if not
            preset = load_preset(settings.format.preset, path)
            sources.append(Source(len(sources), path, settings.station.id, preset, settings.export.naming))
    if not sources:
        raise ExportError(_("no workspace to export from"), hint="station -w WORKSPACE export OUTDIR or --from WS")
    return sources


def gather(sources: list[Source]) -> list[Person]:
    """Read every workspace and group records and accepted takes by person (stable, source order)."""
    people = _PeopleIndex()
    for source in sources:
        with ReadModel.open(source.workspace) as store:
            records = _records(store, source)
            for rec in records.values():
                people.add_record(rec)
            for cand in _candidates(store, records):
                people.add_candidate(cand)
    return people.people()


def choose(person: Person, *, prefer_newest: bool) -> tuple[Candidate | None, Conflict | None]:
    """The take to export for one person, and the conflict if stations disagree."""
    newest_per_ws: dict[int, Candidate] = {}
    for cand in person.candidates:
        idx = cand.record.source.index
        if idx not in newest_per_ws or cand.accept_event > newest_per_ws[idx].accept_event:
            newest_per_ws[idx] = cand
    distinct: dict[tuple[str, int, str | None], Candidate] = {}
    for idx in sorted(newest_per_ws):
        distinct.setdefault(newest_per_ws[idx].identity, newest_per_ws[idx])
    picks = sorted(distinct.values(), key=lambda c: (c.accepted_time(), c.station_id, c.take_id))
    if not picks:
        return None, None
    if len(picks) == 1:
        return picks[0], None
    if prefer_newest:
        return picks[-1], Conflict(person, tuple(picks), resolved_to=picks[-1])
    return None, Conflict(person, tuple(picks))


# ---------------------------------------------------------------------------------------------- internals
def _records(store: ReadModel, source: Source) -> dict[int, Record]:
    check_ins: dict[int, list[CheckInRecord]] = {}
    for rec in store.check_ins():
        check_ins.setdefault(rec.subject_id, []).append(rec)
    statuses = store.statuses()
    records: dict[int, Record] = {}
    for subject in store.subjects():
        ins = check_ins.get(subject.id, [])
        scanned_college = next((c.college for c in reversed(ins) if c.college), None)
        if subject.in_roster:
            college = subject.college or scanned_college
        else:   # roster-less: the college recorded at check-in (schedule / operator setting) is the truth
            college = scanned_college or subject.college
        records[subject.id] = Record(source, subject, college or NO_COLLEGE, statuses.get(subject.id, "unshot"),
                                     bool(ins), tuple(ins))
    return records


def _candidates(store: ReadModel, records: dict[int, Record]) -> list[Candidate]:
    found = []
    for take in store.accepted_takes():
        record = records.get(take.subject_id)
        if record is None:
            log.warning("accepted take %s points at an unknown subject; skipped", take.take_id)
            continue
        found.append(Candidate(record, take.take_id, take.seq, take.station_id, take.captured_at,
                               take.accepted_at, take.accept_event, take.photo, take.photo_sha256,
                               take.source, take.override_reason))
    return found


class _PeopleIndex:
    """Union of records that share a student number, ID number or code (across workspaces)."""

    def __init__(self) -> None:
        self._parent: list[int] = []
        self._by_key: dict[str, int] = {}
        self._records: list[Record] = []
        self._by_record: dict[tuple[int, int], int] = {}
        self._candidates: list[Candidate] = []

    def _find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def add_record(self, rec: Record) -> None:
        i = len(self._records)
        self._records.append(rec)
        self._parent.append(i)
        self._by_record[(rec.source.index, rec.subject.id)] = i
        s = rec.subject
        for key in {k.strip() for k in (s.student_no, s.id_number, s.code) if k and k.strip()}:
            other = self._by_key.setdefault(key, i)
            if other != i:
                a, b = self._find(other), self._find(i)
                if a != b:
                    self._parent[max(a, b)] = min(a, b)

    def add_candidate(self, cand: Candidate) -> None:
        self._candidates.append(cand)

    def people(self) -> list[Person]:
        groups: dict[int, Person] = {}
        for i, rec in enumerate(self._records):
            groups.setdefault(self._find(i), Person()).records.append(rec)
        for cand in self._candidates:
            i = self._by_record[(cand.record.source.index, cand.record.subject.id)]
            groups[self._find(i)].candidates.append(cand)
        return [groups[k] for k in sorted(groups)]
