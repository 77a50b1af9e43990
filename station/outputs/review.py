"""The re-shoot list over one or more stations, through the same merge as the report and the export.

A student is one person across stations (`merge.gather`): accepted at any station means off every re-shoot
list; otherwise the best status any station has decides the line (awaiting a decision, rejected, skipped,
checked in but not shot, absent). Unbound takes and overrides stay per station (each names its station): they
are decisions someone at that station takes. The dict has the shape `station review --json` always printed,
so the console's review page and scripts read it unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from station.core.idnumber import mask_code
from station.outputs.merge import Person, Source, gather
from station.store.models import NO_COLLEGE
from station.store.queries import ReadModel


@dataclass(frozen=True)
class _StationFacts:
    """What only one station's journal says: who is bound there, who was skipped, why rejected."""
    bound: int | None
    skipped: set[int]
    reasons: dict[int, str]
    unbound: list[dict[str, Any]]
    overrides: list[dict[str, Any]]


def _facts(source: Source) -> _StationFacts:
    with ReadModel.open(source.workspace, station_id=source.station_id) as store:
        unbound = [{"take": t.id, "seq": t.seq, "captured_at": t.captured_at, "source": t.source,
                    "file": t.primary.file if t.files else None, "station_id": t.station_id}
                   for t in store.unbound_takes()]
        return _StationFacts(store.bound_subject_id(), store.skipped_ids(), dict(store.reject_reasons()),
                             unbound, [{**row, "station_id": source.station_id} for row in store.override_rows()])


def build_review(sources: Sequence[Source], *, include_absent: bool = False,
                 people: list[Person] | None = None, accepted_elsewhere: frozenset[str] = frozenset()
                 ) -> dict[str, Any]:
    """The merged re-shoot list (`people`: an already gathered merge of these sources, to read them once).
    `accepted_elsewhere`: student numbers, ID numbers and codes accepted in another room (the hub's replicas):
    those students are off the list too."""
    people = gather(list(sources)) if people is None else people
    facts = {s.index: _facts(s) for s in sources}
    rows = []
    for person in people:
        if accepted_elsewhere and any(key and key.strip() in accepted_elsewhere for r in person.records
                                      for key in (r.subject.student_no, r.subject.id_number, r.subject.code)):
            continue
        row = _row(person, facts, include_absent)
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda r: (r["college"], r["class"], r["student_no"] or r["code"]))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"students": rows, "counts": counts,
            "unbound_takes": [t for s in sources for t in facts[s.index].unbound],
            "overrides": [o for s in sources for o in facts[s.index].overrides],
            "stations": [s.station_id for s in sources]}


def _row(person: Person, facts: dict[int, _StationFacts], include_absent: bool) -> dict[str, Any] | None:
    status = person.status
    if status == "accepted":
        return None
    ids = [(r.source.index, r.subject.id) for r in person.records]
    skipped = any(sid in facts[idx].skipped for idx, sid in ids)
    if status == "shot":
        kind = "undecided"
    elif status == "rejected":
        kind = "rejected"
    elif skipped:
        kind = "skipped"
    elif person.checked_in:
        kind = "unshot"
    elif include_absent and person.in_roster:
        kind = "absent"
    else:
        return None
    record = person.display()
    s = record.subject
    check_ins = sorted((c for r in person.records for c in r.check_ins), key=lambda c: (c.day, c.event_id))
    latest = check_ins[-1] if check_ins else None
    reason = None
    if kind == "rejected":
        reason = next((facts[idx].reasons[sid] for idx, sid in reversed(ids) if sid in facts[idx].reasons), None)
    takes = sum(1 for r in person.records for t in r.owned if t.decision != "void")
    return {"college": record.college or NO_COLLEGE, "class": s.class_name or "", "code": mask_code(s.code),
            "student_no": s.student_no, "name": s.name, "id_number": s.masked_id or None, "status": kind,
            "shoot_no": latest.shoot_no if latest else None, "station_id": latest.station_id if latest else None,
            "takes": takes, "reason": reason,
            "bound": any(facts[idx].bound == sid for idx, sid in ids), "walk_in": person.walk_in,
            "stations": sorted({r.source.station_id for r in person.records if r.checked_in or r.owned})}
