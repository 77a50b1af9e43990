"""The journal's clock: every event's time and day (shooting numbers restart each day) come from here.

Passed to the store instead of calling `datetime.now()` inside it, so tests (and a station whose day must be
replayed) can fix the time: a test at 23:59 no longer crosses midnight halfway through.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where the store reads the time: timezone-aware local time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock (the default)."""

    def now(self) -> datetime:
        return datetime.now().astimezone()


@dataclass
class FixedClock:
    """A clock that shows `at` until it is moved: tests decide what time and day it is."""
    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            self.at = self.at.astimezone()

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward (`advance(minutes=5)`) and return the new time."""
        self.at = self.at + timedelta(**delta)
        return self.at
