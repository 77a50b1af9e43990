"""A school's day grown step by step, each action timed as it grows (issue 22's table).

    .venv/bin/python bench/bench_day.py --build DIR [--roster 20000] [--takes 5000] [--stages 0,1000,5000]
                                        [--export]

Writes a realistic day into a new workspace DIR through the store's own write path (tests/day_script.py: every
photo distinct, ~12% refused then re-shot, overrides, voids, rebinds, unbound frames, skips, the desk queue;
fsync off while building only) and, at each stage, reopens it as the station does (fsync on) and times in this
process: the console's snapshot with a student bound, one student's takes and the unbound takes, statuses(),
accepted_takes(), review(), and the journal's part of one scan + shoot + accept (the store's four writes). At
the last stage it times the real CLI (`station status`, `review`, `report --format xlsx`; `export` with
--export) as a user runs them. Targets at roster 20,000 and 5,000 takes: snapshot <= 5 ms, review <= 150 ms,
the cycle within 1.5x of the empty day's, `status` and `review` <= 1 s as commands.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("VCAMERADIR", tempfile.mkdtemp(prefix="bench-vcam-"))   # before gphoto2 is imported

ROWS = ("console snapshot with a student bound", "one student's takes", "unbound takes", "statuses()",
        "accepted_takes()", "review()", "journal share of scan + shoot + accept")


def timed(call: Callable[[], Any], repeat: int) -> float:
    """Median milliseconds of `repeat` calls (one warm-up call first)."""
    call()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure(ws: Path, spare: list[Any], photo: Any) -> dict[str, float]:
    """The table's column for the day as it is now, read and written as the station does (fsync on)."""
    from station.session.actions import Session, review
    from station.session.controller import StationController
    from station.store.models import CapturedFile
    from station.store.workspace import Store
    import day_script
    store = Store.open(ws)
    try:
        subjects_with_takes = [t.subject_id for t in store.takes()[:50] if t.subject_id]
        student = subjects_with_takes[-1] if subjects_with_takes else spare[-1].id
        subject = store.subject(student)
        store.check_in(subject, scanned=subject.code, via="student_no")       # a student bound at the console
        controller = StationController(Session(store), None)
        out = {ROWS[0]: timed(controller.snapshot, 20),
               ROWS[1]: timed(lambda: store.takes(subject_id=student), 20),
               ROWS[2]: timed(store.unbound_takes, 20),
               ROWS[3]: timed(store.statuses, 5),
               ROWS[4]: timed(store.accepted_takes, 5),
               ROWS[5]: timed(lambda: review(store), 3)}
        store.unbind(reason="bench")
        cycles = []
        for n in range(6):
            who = spare.pop()
            data = day_script.distinct_jpeg(photo.original, 10_000_000 + len(spare))
            rendered = day_script.distinct_jpeg(photo.jpeg, 10_000_000 + len(spare))
            t0 = time.perf_counter()
            store.check_in(who, scanned=who.code, via="student_no")
            take = store.record_capture([CapturedFile(data=data, camera_file="IMG.JPG")], subject_id=who.id,
                                        source="trigger")
            store.record_verdict(take.id, photo.verdict, rendered)
            store.accept(take.id)
            cycles.append((time.perf_counter() - t0) * 1000)
        out[ROWS[6]] = statistics.median(cycles[1:])
        return out
    finally:
        store.close()


def grow(ws: Path, day: Any, takes: int, photo: Any) -> None:
    """Write `takes` more takes of the day (fsync off: building only)."""
    import day_script
    import workspace_factory as wf
    from station.store.workspace import Store
    with wf.bulk():
        store = Store.open(ws)
        wf.fast_journal(store)
        try:
            day_script.play(store, day.subjects, photo, day.state, takes)
        finally:
            store.close()


class DayState:
    def __init__(self, subjects: list[Any]) -> None:
        import day_script
        self.subjects = subjects
        self.state = day_script.Day()


def cli_times(ws: Path, export: bool) -> list[tuple[str, float]]:
    """Wall time of the real CLI commands, each a new process as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STATION_LANG": "en"}
    out = Path(tempfile.mkdtemp(prefix="bench-day-out-"))
    commands = [("station status", ["status"]), ("station review", ["review"]),
                ("station report --format xlsx", ["report", "--format", "xlsx", "--out", str(out / "r.xlsx")])]
    if export:
        commands.append(("station export", ["export", str(out / "export")]))
    found = []
    for label, args in commands:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "station.cli.main", "-w", str(ws), *args], env=env,
                              capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - t0
        found.append((label + ("" if done.returncode == 0 else f" (exit {done.returncode})"), seconds))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, required=True, help="the new workspace to write the day into")
    parser.add_argument("--roster", type=int, default=20_000)
    parser.add_argument("--takes", type=int, default=5_000)
    parser.add_argument("--stages", default="0,1000,5000", help="take counts to time the actions at")
    parser.add_argument("--export", action="store_true", help="also time `station export` at the last stage")
    args = parser.parse_args()
    import workspace_factory as wf
    stages = sorted({s for s in (int(x) for x in args.stages.split(",")) if s <= args.takes} | {args.takes})
    photo = wf.finished_photo(0)
    t0 = time.perf_counter()
    with wf.bulk():
        store = wf.new_workspace(args.build)
        wf.fast_journal(store)
        store.upsert_subjects(wf.roster_rows(args.roster, classes_per_college=10), source_file="bench-roster")
        subjects = store.subjects()
        store.close()
    print(f"roster of {args.roster} imported in {time.perf_counter() - t0:.1f} s")
    spare = subjects[-200:]                  # students the timed cycles shoot (the day never reaches them)
    day = DayState(subjects[:-200])
    columns: dict[int, dict[str, float]] = {}
    for stage in stages:
        t0 = time.perf_counter()
        grow(args.build, day, stage - day.state.takes, photo)
        if stage:
            print(f"day grown to {day.state.takes} takes in {time.perf_counter() - t0:.1f} s "
                  f"({', '.join(f'{k} {v}' for k, v in sorted(day.state.counts.items()))})")
        columns[day.state.takes] = measure(args.build, spare, photo)
    head = f"| per action (in process, ms), roster {args.roster:,} | " + " | ".join(f"{n:,} takes" for n in columns)
    print()
    print(head + " |")
    print("|---|" + "---|" * len(columns))
    for row in ROWS:
        print(f"| {row} | " + " | ".join(f"{col[row]:.1f}" for col in columns.values()) + " |")
    first, last = next(iter(columns.values())), list(columns.values())[-1]
    print(f"\njournal share at {list(columns)[-1]:,} takes / empty day: {last[ROWS[6]] / first[ROWS[6]]:.2f}x "
          "(target <= 1.5x)")
    print(f"\n| command (new process), {day.state.takes:,} takes | seconds |\n|---|---|")
    for label, seconds in cli_times(args.build, args.export):
        print(f"| {label} | {seconds:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
