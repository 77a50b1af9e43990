"""The day page's figures: progress per college against the schedule, students per hour so far, time left.

A rule of the station, not of a front end: it lives here so the console (and anything else that shows the day)
reads the same figures, and it reads the time from the station's injected clock (station.store.clock), never
the wall clock, so a test moves time without sleeping.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from station.session.schedule import Slot, load_slots
from station.store.clock import Clock
from station.store.models import NO_COLLEGE

RATE_MIN_HOURS = 1 / 6        # students per hour only once ten minutes of accepts say something


def day_figures(read: Any, clock: Clock) -> dict[str, Any]:
    """Per college: the status counts, accepts today, students per hour between today's first and last accept,
    the schedule window now (or next) with its room and minutes left. `read` is a read model (its queries
    status_by_college, schedule_rows, accepted_takes, subjects)."""
    now = clock.now()
    local = now.astimezone().replace(tzinfo=None)           # the schedule's slots are naive local times
    colleges, slots, accepted = read.status_by_college(), load_slots(read), read.accepted_takes()
    subjects = {s.id: s.college or NO_COLLEGE for s in read.subjects()}
    today = local.date()
    times: dict[str, list[datetime]] = {}
    for a in accepted:
        at = datetime.fromisoformat(a.accepted_at)
        if _local(at).date() == today:
            times.setdefault(subjects.get(a.subject_id, NO_COLLEGE), []).append(at)
    windows: dict[str, list[Slot]] = {}
    for slot in slots:
        windows.setdefault(slot.college, []).append(slot)
    rows = []
    for entry in colleges:
        name = entry["college"]
        stamps = sorted(times.get(name, []), key=_local)
        rows.append({**entry, "per_hour": per_hour(stamps), "accepted_today": len(stamps),
                     **_window(windows.get(name, []), local)})
    return {"colleges": rows, "has_schedule": bool(slots), "now": now.isoformat(timespec="minutes")}


def per_hour(stamps: list[datetime]) -> float | None:
    """Students per hour between the first and the last of sorted accept times; None before ten minutes."""
    hours = (_local(stamps[-1]) - _local(stamps[0])).total_seconds() / 3600 if len(stamps) > 1 else 0.0
    return round((len(stamps) - 1) / hours, 1) if hours >= RATE_MIN_HOURS else None


def _window(slots: list[Slot], local: datetime) -> dict[str, Any]:
    """The college's slot now (else its next one): its window, room and minutes left (only while it runs)."""
    slot = next((s for s in slots if s.start <= local <= s.end), None) or \
        next((s for s in slots if s.start > local), None)
    left = max(0, int((slot.end - local).total_seconds() // 60)) if slot and slot.start <= local else None
    return {"window": f"{slot.start:%m-%d %H:%M}–{slot.end:%H:%M}" if slot else None,
            "room": slot.room if slot else None, "minutes_left": left}


def _local(at: datetime) -> datetime:
    """A journal time as naive local time (journal times carry their offset; old ones may not)."""
    return at.astimezone().replace(tzinfo=None) if at.tzinfo else at
