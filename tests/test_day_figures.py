"""The day page's figures (station.session.day_figures) on the station's injected clock: time moves by
`FixedClock.advance`, never by sleeping, and the per-hour figure and the minutes left follow it."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from station.session.day_figures import day_figures
from station.session.schedule import Slot
from station.store.clock import FixedClock
from station.store.queries import ReadModel
from station.store.workspace import init_workspace
from tests.workspace_factory import finished_photo, make_settings, roster_rows, shoot


def _row(figures: dict, college: str) -> dict:
    return next(r for r in figures["colleges"] if r["college"] == college)


def test_per_hour_and_minutes_left_follow_the_station_clock(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2025, 12, 18, 9, 0))
    store = init_workspace(tmp_path / "ws", make_settings("S1"), clock=clock)
    try:
        store.upsert_subjects(roster_rows(8, colleges=("外国语学院",)), source_file="roster.csv")
        slot = Slot("外国语学院", "四教楼102", datetime(2025, 12, 18, 8, 30), datetime(2025, 12, 18, 11, 30))
        store.record_schedule(file="schedule.csv", rows=[slot.to_dict()])
        subjects, photo = store.subjects(), finished_photo()
        read = ReadModel.open(tmp_path / "ws", clock=clock)

        shoot(store, subjects[0], photo)                                   # 09:00
        clock.advance(minutes=5)
        shoot(store, subjects[1], photo)                                   # 09:05: too soon for a rate
        row = _row(day_figures(read, clock), "外国语学院")
        assert (row["accepted_today"], row["per_hour"]) == (2, None)
        assert (row["minutes_left"], row["room"]) == (145, "四教楼102")

        clock.advance(minutes=10)
        shoot(store, subjects[2], photo)                                   # 09:15: 2 more in 15 minutes
        figures = day_figures(read, clock)
        row = _row(figures, "外国语学院")
        assert (row["accepted_today"], row["per_hour"], row["minutes_left"]) == (3, 8.0, 135)
        assert figures["now"].startswith("2025-12-18T09:15") and figures["has_schedule"]

        clock.advance(hours=3)                                             # 12:15: the window has closed
        row = _row(day_figures(read, clock), "外国语学院")
        assert (row["per_hour"], row["minutes_left"], row["window"]) == (8.0, None, None)

        clock.advance(days=1)                                              # the next day: nothing yet today
        row = _row(day_figures(read, clock), "外国语学院")
        assert (row["accepted_today"], row["per_hour"]) == (0, None)
        read.close()
    finally:
        store.close()


def test_the_console_shows_the_station_clocks_day_and_pairings_expire_on_it(tmp_path: Path) -> None:
    """The console's day page and its pairings read the station's clock, not the machine's: a clock set to a
    day long past is the day the page shows, and a pairing ends when that clock passes its lifetime."""
    from station.console.security import SESSION_SECONDS, Pairing
    from station.console.state import ConsoleState
    clock = FixedClock(datetime(2021, 6, 1, 10, 0))
    store = init_workspace(tmp_path / "ws", make_settings("S1"), clock=clock)
    try:
        store.upsert_subjects(roster_rows(2, colleges=("外国语学院",)), source_file="roster.csv")
        shoot(store, store.subjects()[0], finished_photo())
        read = ReadModel.open(tmp_path / "ws", clock=clock)
        pairing = Pairing(clock=read.clock)
        state = ConsoleState(None, workspace=tmp_path / "ws", read_model=read, preset=None, pairing=pairing)
        day = state.day()
        assert day["now"].startswith("2021-06-01T10:00")
        assert _row(day, "外国语学院")["accepted_today"] == 1

        who = pairing.pair_with_pin(pairing.pin, "10.0.0.2")
        clock.advance(seconds=SESSION_SECONDS - 1)
        assert pairing.session(who.sid) is who
        clock.advance(seconds=2)
        assert pairing.session(who.sid) is None                # expired by the station's clock, no sleeping
        read.close()
    finally:
        store.close()
