"""Benchmark: import a 20,000-row roster as XLSX and as old .xls into fresh workspaces; print time and memory.

A large university's whole graduating class arrives as one registrar export; the import must stay a matter
of seconds (goal: at most 5 s each) on the station laptop. The .xls is a real BIFF8 file written by xlwt (a
test-only dependency), read back by xlrd exactly as a school's file is. Each file ends with a 合计 row and a
注 row, as registrars' exports do. Run: .venv/bin/python bench/bench_roster.py [ROWS]
"""
from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
GOAL_S = 5.0


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


def time_import(folder: Path, roster: Path, count: int) -> tuple[float, float]:
    """(first import into a fresh workspace, re-import of the same file) in seconds."""
    from config.settings import Settings
    from station.identity.roster import import_roster
    from station.store.workspace import init_workspace
    store = init_workspace(folder / f"ws-{roster.suffix[1:]}", Settings())
    try:
        start = time.perf_counter()
        report = import_roster(store, roster)
        first = time.perf_counter() - start
        assert report.counts["added"] == count, report.counts
        assert [k for _r, k in report.parsed.skipped_rows] == ["total", "note"], report.parsed.skipped_rows
        start = time.perf_counter()
        again = import_roster(store, roster)
        second = time.perf_counter() - start
        assert again.counts["unchanged"] == count, again.counts
    finally:
        store.close()
    return first, second


def main(count: int = 20_000) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-roster-") as tmp:
        folder = Path(tmp)
        rows = make_rows(count)
        assert len({r[3] for r in rows}) == count, "generator produced duplicate ID numbers"
        files = {"xlsx": (folder / "roster.xlsx", write_xlsx), "xls": (folder / "roster.xls", write_xls)}
        for kind, (path, write) in files.items():
            start = time.perf_counter()
            write(path, rows)
            print(f"generated {count} rows: {path.stat().st_size / 1e6:.1f} MB {kind.upper()}"
                  f" in {time.perf_counter() - start:.2f} s")
        del rows
        worst = 0.0
        for kind, (path, _write) in files.items():
            first, second = time_import(folder, path, count)
            worst = max(worst, first)
            print(f"import {count} rows {kind.upper():4s} into a fresh workspace: {first:.2f} s (goal <= {GOAL_S:.0f} s);"
                  f" re-import (all unchanged): {second:.2f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux reports KiB
    print(f"peak memory (ru_maxrss, whole process): {peak_mb:.0f} MB")
    return 0 if worst <= GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
