"""Benchmark `station report --format xlsx` for a 20,000-student day; print the time of each part.

    .venv/bin/python bench/bench_report.py [--students 20000] [--keep DIR]

Builds one real workspace (real journal, real check-ins and takes; small photo files, fsync off while
building; about 5 minutes on a loaded 2-core machine, so --keep DIR keeps it for the next run), then times, in this process and with fsync on: the merged report (`build_report`) and the
workbook (`render_xlsx` + the atomic write), i.e. what the command does. Goal: the whole command <= 3 s.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

GOAL_S = 3.0
COLLEGES = ("化学化工学院", "土木工程学院", "计算机科学与工程学院", "商学院", "外国语学院", "数学与计算科学学院",
            "机电工程学院", "资源环境与安全工程学院")


def build(ws: Path, count: int) -> None:
    from workspace_factory import bad_photo, bulk, cycle_outcomes, fast_journal, new_workspace, populate, roster_rows
    start = time.perf_counter()
    with bulk():
        store = new_workspace(ws, "S1")
        fast_journal(store)
        rows = roster_rows(count, colleges=COLLEGES, classes_per_college=50)
        populate(store, rows, outcome=cycle_outcomes(), photo=bad_photo())
        store.close()
    print(f"built a workspace of {count} students in {time.perf_counter() - start:.1f} s")


def main(count: int, keep: Path | None) -> int:
    from station.outputs.merge import open_sources
    from station.outputs.report import build_report
    from station.outputs.report_xlsx import render_xlsx
    from station.store.durable import replace_file

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        ws = (keep or Path(tmp)) / f"ws-{count}"
        if not (ws / "station.toml").is_file():
            build(ws, count)

        start, cpu = time.perf_counter(), time.process_time()
        report = build_report(open_sources([ws]))
        built, built_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        data = render_xlsx(report)
        out = Path(tmp) / "report.xlsx"
        replace_file(out, data)
        rendered, rendered_cpu = time.perf_counter() - start, time.process_time() - cpu
    total = built + rendered
    # CPU seconds beside wall seconds: on a shared, loaded machine the CPU time is what the command costs
    print(f"report data (merge over the workspace):   {built:.2f} s wall, {built_cpu:.2f} s CPU")
    print(f"workbook (7 sheets, {len(report.signoff)} sign-off rows, {len(data) / 1e6:.1f} MB): {rendered:.2f} s wall,"
          f" {rendered_cpu:.2f} s CPU")
    print(f"report --format xlsx, {count} students:  {total:.2f} s wall, {built_cpu + rendered_cpu:.2f} s CPU "
          f"(goal <= {GOAL_S:.0f} s)")
    return 0 if total <= GOAL_S else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, default=None, help="build the workspace here once and reuse it")
    args = parser.parse_args()
    sys.exit(main(args.students, args.keep))
