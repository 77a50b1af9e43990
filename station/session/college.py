"""Which college the station is shooting now: set by hand, else the schedule, else station.toml.

Recorded at check-in, so a roster-less subject (registry sessions) is exported into the right folder.
"""
from __future__ import annotations

from datetime import datetime

from station.store.workspace import Store


def current_college(store: Store, when: datetime | None = None) -> str | None:
    row = store.conn.execute(
        "SELECT json_extract(data, '$.college') FROM events WHERE kind = 'set_college' AND station_id = ?"
        " AND day = ? ORDER BY id DESC LIMIT 1", (store.station_id, store.today())).fetchone()
    if row and row[0]:
        return str(row[0])
    scheduled = _scheduled_college(store, when)
    if scheduled:
        return scheduled
    return store.settings.session.college or None


def _scheduled_college(store: Store, when: datetime | None) -> str | None:
    """The schedule's college for this room at this time (station.session.schedule, when a schedule is imported)."""
    try:
        from station.session import schedule
    except ImportError:
        return None
    return schedule.college_at(store, store.settings.station.room, when)


def set_college(store: Store, college: str, operator: str | None = None) -> None:
    """The operator's hand setting, valid for the rest of the day at this station."""
    store.event("set_college", operator=operator, college=college)
