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
from station.store.models import NO_COLLEGE, WALK_IN, Subject, best_status
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
class TakeFact:
    """One take as the sign-off sheet needs it: who sat for it (bound when it was shot, under which 拍摄号)
    and who owns it now (after rebinds), with its decision. The photo belongs to the owner; the number is the
    one it was shot under."""
    take_id: int
    seq: int
    station_id: str
    day: str
    owner_id: int | None            # the subject the take belongs to now
    shot_for_id: int | None         # the subject bound when it was shot (None: nobody bound)
    shoot_no: int | None            # the 拍摄号 it was shot under (None: nobody bound, or a sent-in photo)
    decision: str | None            # None | accept | reject | void
    source: str = "trigger"

    @property
    def rebound(self) -> bool:
        return self.shot_for_id is not None and self.owner_id != self.shot_for_id


@dataclass(frozen=True)
class Record:
    """A subject as one workspace knows it, with the college and status it has there."""
    source: Source
    subject: Subject
    college: str
    status: str                     # unshot | shot | accepted | rejected
    checked_in: bool
    check_ins: tuple[CheckInRecord, ...] = ()            # in journal order
    owned: tuple[TakeFact, ...] = ()                     # takes that belong to this subject now (void too)
    shot_under: tuple[TakeFact, ...] = ()                # takes shot while this subject was bound (void too)

    @property
    def walk_in(self) -> bool:
        """Checked in at the station without being on the roster (现场补录)."""
        return self.subject.source == WALK_IN


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
    validation: dict[str, Any] | None = None   # the photo's validation kept in its verdict, if any

    @property
    def shoot_no(self) -> int | None:
        """The 拍摄号 this photo was shot under (the sign-off sheet's number); for a frame shot with nobody
        bound, the owner's check-in that led to the acceptance (else the latest one)."""
        fact = next((t for t in self.record.owned if t.take_id == self.take_id), None)
        if fact is not None and fact.shoot_no is not None:
            return fact.shoot_no
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

    @property
    def walk_in(self) -> bool:
        """Not on any roster and checked in as a walk-in (现场补录) somewhere."""
        return not self.in_roster and any(r.walk_in for r in self.records)


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
    presets: dict[tuple[str, bytes | None], FormatPreset] = {}
    for path in paths:
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        settings = load_settings(path)
        with ReadModel.open(path):                 # a journal must be there: refused as a workspace if not
            preset = _preset(settings.format.preset, path, presets)
            sources.append(Source(len(sources), path, settings.station.id, preset, settings.export.naming))
    if not sources:
        raise ExportError(_("no workspace to export from"), hint="station -w WORKSPACE export OUTDIR or --from WS")
    return sources


def _preset(name: str, workspace: Path, known: dict[tuple[str, bytes | None], FormatPreset]) -> FormatPreset:
    """The workspace's preset, parsed once for stations that share it: the same name and the same
    workspace override file (or none) give the same preset."""
    user = workspace / "presets" / f"{name}.toml"
    try:
        key = (name, user.read_bytes())
    except FileNotFoundError:
        key = (name, None)
    except OSError:                 # not readable here: load_preset says why
        return load_preset(name, workspace)
    if key not in known:
        known[key] = load_preset(name, workspace)
    return known[key]


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


def choose(person: Person, *, prefer_newest: bool, prefer_station: str | None = None
           ) -> tuple[Candidate | None, Conflict | None]:
    """The take to export for one person, and the conflict if stations disagree: settled by the newest
    acceptance (`prefer_newest`) or by trusting one station (`prefer_station`: its take, when it has one)."""
    if len(person.candidates) <= 1:         # most people: one acceptance, nothing to choose
        return (person.candidates[0] if person.candidates else None), None
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
    if prefer_station is not None:
        trusted = [c for c in picks if c.station_id == prefer_station]
        if trusted:
            return trusted[-1], Conflict(person, tuple(picks), resolved_to=trusted[-1])
    if prefer_newest:
        return picks[-1], Conflict(person, tuple(picks), resolved_to=picks[-1])
    return None, Conflict(person, tuple(picks))


# ---------------------------------------------------------------------------------------------- internals
def _take_facts(store: ReadModel, check_ins: list[CheckInRecord]) -> list[TakeFact]:
    """Every take with the number it was shot under and its owner now."""
    numbers = {(c.station_id, c.day, c.subject_id): c.shoot_no for c in check_ins}
    facts = []
    for t in store.take_facts():
        shot_for = t["shot_for"]
        number = numbers.get((t["station_id"], t["day"], shot_for)) if shot_for is not None else None
        facts.append(TakeFact(t["take_id"], t["seq"], t["station_id"], t["day"], t["owner"], shot_for, number,
                              t["decision"], t["source"]))
    return facts


def _records(store: ReadModel, source: Source) -> dict[int, Record]:
    check_ins: dict[int, list[CheckInRecord]] = {}
    every = store.check_ins()
    for rec in every:
        check_ins.setdefault(rec.subject_id, []).append(rec)
    owned: dict[int | None, list[TakeFact]] = {}
    shot_under: dict[int | None, list[TakeFact]] = {}
    for fact in _take_facts(store, every):
        owned.setdefault(fact.owner_id, []).append(fact)
        shot_under.setdefault(fact.shot_for_id, []).append(fact)
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
                                     bool(ins), tuple(ins), tuple(owned.get(subject.id, ())),
                                     tuple(shot_under.get(subject.id, ())))
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
                               take.source, take.override_reason, take.validation))
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
