"""Benchmark: import a 20,000-row roster into fresh workspaces; print time and memory; then the workbook bombs.

A large university's whole graduating class arrives as one registrar export; the import must stay a matter
of seconds on the station laptop. Three shapes of the same 20,000 students: one XLSX sheet (goal <= 8 s,
issue 22), the same as an old .xls (a real BIFF8 file written by xlwt, read back by xlrd as a school's file
is), and a registrar's 5-sheet workbook (one sheet per college, a title row and a two-row merged header with
是否缴费 merged down; goal <= 5 s, issue 24). Each sheet ends with a 合计 row and a 注 row. openpyxl's
read-only read of the single-sheet file is timed in the same run as a reference (the reader before).
Then each hostile workbook of tests/workbook_bombs.py is imported with --dry-run by the real `station`
command in a child process: time and peak memory (the child's ru_maxrss) to its refusal.
Run: .venv/bin/python bench/bench_roster.py [ROWS]
"""
from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

COLLEGES = ("化学化工学院", "土木工程学院", "计算机科学与工程学院", "商学院", "外国语学院", "数学与计算科学学院",
            "机电工程学院", "资源环境与安全工程学院")
AREAS = ("430302", "430304", "110105", "440524", "420111", "510107")


def make_rows(count: int, seed: int = 20) -> list[list[object]]:
    """Valid rows: unique student numbers and ID numbers with correct check digits, 8 colleges, 40 per class."""
    from station.core.idnumber import check_character
    rng = random.Random(seed)
    rows: list[list[object]] = []
    for i in range(count):
        college = COLLEGES[i * len(COLLEGES) // count]
        birth = date(2000, 1, 1) + timedelta(days=i // 1000)          # 1000 sequence numbers per day
        first17 = f"{AREAS[i % len(AREAS)]}{birth:%Y%m%d}{i % 1000:03d}"
        id_number = first17 + check_character(first17)
        rows.append([2017000000 + i, f"学生{i:05d}", "男" if i % 2 else "女", id_number, college,
                     f"专业{i % 17}", f"{college[:2]}17{(i // 40) % 99:02d}", "本科",
                     "是" if rng.random() > 0.05 else "否", f"电话{rng.randint(10**9, 10**10 - 1)}"])
    return rows


HEADER = ["学号", "姓名", "性别", "身份证号", "学院", "专业", "班级", "层次", "是否缴费", "联系电话"]
#: the grouped header of a registrar's workbook: row 2 groups, row 3 names; 是否缴费 (I) merged down rows 2-3
GROUPS = ["基本信息", None, None, "证件信息", "院系信息", None, None, None, "是否缴费", "联系方式"]
GROUP_MERGES = ("A2:C2", "E2:H2", "I2:I3")
CPU: dict[str, float] = {}     # file name -> CPU seconds of its first import (less sensitive to a busy machine)
GOALS = {"XLSX": 8.0, "XLS": 8.0, "XLSX 5 sheets": 5.0}


def footer(count: int) -> list[list[object]]:
    return [["合计", f"{count}人"], ["注：本名单由教务处导出，身份证号以公安系统为准。"]]


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    import openpyxl
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("毕业生")
    ws.append(HEADER)
    for row in [*rows, *footer(len(rows))]:
        ws.append(row)
    wb.save(path)


def write_xls(path: Path, rows: list[list[object]]) -> None:
    import xlwt
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("毕业生")
    for r, row in enumerate([HEADER, *rows, *footer(len(rows))]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))


def write_sheets(path: Path, rows: list[list[object]], sheets: int = 5) -> None:
    """A registrar's workbook: one sheet per college, title row, two-row header with merges across and down."""
    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    per = -(-len(rows) // sheets)
    for n in range(sheets):
        part = rows[n * per:(n + 1) * per]
        ws = wb.create_sheet(f"学院{n + 1}")
        ws.append([f"2024届毕业生图像采集名单（学院{n + 1}）"])
        ws.append(GROUPS)
        ws.append([h if h != "是否缴费" else None for h in HEADER])
        for row in [*part, *footer(len(part))]:
            ws.append(row)
        ws.merge_cells("A1:J1")
        for merge in GROUP_MERGES:
            ws.merge_cells(merge)
    wb.save(path)


def openpyxl_read(path: Path) -> float:
    """The reference: openpyxl's read-only, values-only read of every row (the reader before)."""
    from openpyxl import load_workbook
    start = time.perf_counter()
    wb = load_workbook(path, read_only=True, data_only=True)
    for ws in wb.worksheets:
        for _row in ws.iter_rows(values_only=True):
            pass
    wb.close()
    return time.perf_counter() - start


def time_import(folder: Path, roster: Path, count: int) -> tuple[float, float]:
    """(first import into a fresh workspace, re-import of the same file) in seconds."""
    from config.settings import Settings
    from station.identity.roster import import_roster
    from station.store.workspace import init_workspace
    store = init_workspace(folder / f"ws-{roster.name}", Settings())
    try:
        start, cpu = time.perf_counter(), time.process_time()
        report = import_roster(store, roster)
        first = time.perf_counter() - start
        CPU[roster.name] = time.process_time() - cpu
        assert report.counts["added"] == count, report.counts
        kinds = [k for part in report.parsed.sheets for _r, k in part.skipped_rows]
        assert kinds == ["total", "note"] * len(report.parsed.sheets), kinds
        start = time.perf_counter()
        again = import_roster(store, roster)
        second = time.perf_counter() - start
        assert again.counts["unchanged"] == count, again.counts
    finally:
        store.close()
    return first, second


def bombs(folder: Path) -> list[tuple[str, float, float, float, str]]:
    """(bomb, size on disk MB, seconds to refusal, child's peak MB, first line of the message) per bomb.

    Each runs in its own `station` process (the whole command: start-up, imports, reading, refusal)."""
    from workbook_bombs import BOMBS
    station = Path(sys.executable).with_name("station")
    ws = folder / "ws-bombs"
    subprocess.run([str(station), "-w", str(ws), "init"], check=True, capture_output=True)
    results = []
    for name, build in BOMBS.items():
        path = build(folder / "bomb.xlsx")
        size = path.stat().st_size / 1e6
        start = time.perf_counter()
        child = subprocess.Popen([str(station), "-w", str(ws), "roster", "import", str(path), "--dry-run"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "STATION_LANG": "zh"})
        err = child.stderr.read() if child.stderr else ""
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.returncode == 1 and "已拒绝" in err, err
        results.append((name, size, seconds, usage.ru_maxrss / 1024, err.splitlines()[0]))
        path.unlink()
    return results


def main(count: int = 20_000) -> int:
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-roster-") as tmp:
        folder = Path(tmp)
        # first, while this process is small: a child's ru_maxrss starts from its parent's at fork
        print(f"{'bomb (refused with --dry-run)':48s} {'file':>7s} {'refused in':>10s} {'peak':>8s}")
        for name, size, seconds, peak, _line in bombs(folder):
            print(f"{name:48s} {size:5.1f} MB {seconds:8.2f} s {peak:5.0f} MB")
        print()
        rows = make_rows(count)
        assert len({r[3] for r in rows}) == count, "generator produced duplicate ID numbers"
        files = {"XLSX": (folder / "roster.xlsx", write_xlsx), "XLS": (folder / "roster.xls", write_xls),
                 "XLSX 5 sheets": (folder / "roster-sheets.xlsx", write_sheets)}
        for kind, (path, write) in files.items():
            start = time.perf_counter()
            write(path, rows)
            print(f"generated {count} rows: {path.stat().st_size / 1e6:.1f} MB {kind}"
                  f" in {time.perf_counter() - start:.2f} s")
        del rows
        cpu = time.process_time()
        wall = openpyxl_read(files['XLSX'][0])
        print(f"reference: openpyxl read-only read of the single-sheet XLSX (the reader before): {wall:.2f} s,"
              f" cpu {time.process_time() - cpu:.2f} s")
        print(f"load average (1 min) before the imports: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'roster':16s} {'import (fresh)':>15s} {'cpu':>8s} {'goal':>7s} {'re-import':>10s}")
        for kind, (path, _write) in files.items():
            first, second = time_import(folder, path, count)
            failed |= first > GOALS[kind]
            print(f"{kind:16s} {first:13.2f} s {CPU[path.name]:6.2f} s {GOALS[kind]:5.0f} s {second:8.2f} s")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux reports KiB
        print(f"peak memory of the imports (ru_maxrss, whole process): {peak_mb:.0f} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
