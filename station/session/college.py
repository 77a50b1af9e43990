"""Which college the station is shooting now: set by hand, else the schedule, else station.toml.

Recorded at check-in, so a roster-less subject (registry sessions) is exported into the right folder.
"""
from __future__ import annotations

from datetime import datetime

from station.session import schedule
from station.store.workspace import Store


def current_college(store: Store, when: datetime | None = None) -> str | None:
    """The hand setting of today, else the schedule's college for this room now, else station.toml's."""
    return (store.college_setting()
            or schedule.college_at(store, store.settings.station.room, when or store.clock.now())
            or store.settings.session.college or None)


def set_college(store: Store, college: str, operator: str | None = None) -> None:
    """The operator's hand setting, valid for the rest of the day at this station."""
    store.set_college(college, operator=operator)
