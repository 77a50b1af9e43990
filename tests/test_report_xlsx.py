"""`station report --format xlsx`: one workbook the registrar prints, read back with openpyxl."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from station.cli.main import cli
from test_report_helpers import (ACCEPTED, CHECKIN_ORDER, EXPECTED_GROUPS, EXPECTED_REFUNDS, EXPECTED_UNPAID,
                                 ROSTER, build_session, id_number)

SHEETS_ZH = ["按学院统计", "按班级统计", "退费名单", "未缴费名单", "签字确认表", "待处理名单", "合格照片"]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_session(tmp_path_factory.mktemp("report-xlsx") / "ws")


def write_report(session: Path, out: Path, *extra: str) -> openpyxl.Workbook:
    result = CliRunner().invoke(cli, ["-w", str(session), "report", "--format", "xlsx", "--out", str(out), *extra],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    path = out / "report.xlsx" if out.is_dir() else out
    assert str(path) in result.output
    return openpyxl.load_workbook(path)


def body(sheet) -> list[tuple]:
    """The data rows under the title, subtitle and header rows."""
    return [row for row in sheet.iter_rows(min_row=4, values_only=True)]


@pytest.fixture
def book(session: Path, tmp_path: Path, lang) -> openpyxl.Workbook:
    lang("zh")
    return write_report(session, tmp_path / "日报.xlsx")


def test_one_workbook_with_every_sheet_in_chinese(book) -> None:
    assert book.sheetnames == SHEETS_ZH
    assert book["签字确认表"]["H3"].value == "备注" and book["签字确认表"]["I3"].value == "学生签字"
    assert book["按班级统计"]["A3"].value == "学院" and book["按班级统计"]["C3"].value == "名单人数"


def test_counts_per_class_and_per_college_are_exact(book) -> None:
    rows = body(book["按班级统计"])
    *groups, total = rows
    got = {(r[0], r[1]): dict(zip(("roster", "checked_in", "accepted", "submitted", "pending", "rejected_only",
                                   "not_shot"), r[2:])) for r in groups}
    assert got == EXPECTED_GROUPS
    assert total[0] == "合计" and total[2] == len(ROSTER) and total[4] == len(ACCEPTED)
    colleges = {r[0]: r[1:] for r in body(book["按学院统计"])}
    assert colleges["法学院"][0] == 6 and colleges["法学院"][2] == 3           # roster, accepted
    assert colleges["合计"][0] == len(ROSTER)


def test_refund_unpaid_and_review_lists(book) -> None:
    assert [r[0] for r in body(book["退费名单"])] == EXPECTED_REFUNDS
    assert [r[0] for r in body(book["未缴费名单"])] == EXPECTED_UNPAID
    review = {r[0]: r[5] for r in body(book["待处理名单"])}
    assert review == {"2019002": "已拒绝", "2019005": "待审核"}
    assert sorted(r[0] for r in body(book["合格照片"])) == sorted(ACCEPTED)


def test_signoff_sheet_is_ready_to_print_with_a_signature_column(book) -> None:
    sheet = book["签字确认表"]
    rows = body(sheet)
    assert [r[3] for r in rows] == CHECKIN_ORDER
    assert [r[2] for r in rows] == list(range(1, len(CHECKIN_ORDER) + 1))
    assert all(r[8] is None for r in rows) and all(r[7] for r in rows)   # blank: the student signs there
    assert sheet["A4"].border.left.style == "thin"                      # bordered cells print as a grid
    assert sheet.sheet_format.defaultRowHeight >= 24                    # room for a handwritten name
    assert sheet.column_dimensions["H"].width >= 20
    assert sheet.page_setup.orientation == "landscape"


@pytest.mark.parametrize("name", SHEETS_ZH)
def test_every_sheet_prints_with_frozen_repeated_headers_fitted_to_width(book, name: str) -> None:
    sheet = book[name]
    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$1:$3"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.page_setup.paperSize == 9                             # A4
    assert sheet.column_dimensions["A"].width >= 8
    assert sheet["A3"].font.b


def test_full_id_numbers_never_appear_and_names_stay_text(session: Path, tmp_path: Path, lang) -> None:
    lang("zh")
    book = write_report(session, tmp_path)
    texts = [str(v) for s in book.worksheets for row in s.iter_rows(values_only=True) for v in row if v]
    for serial in range(len(ROSTER)):
        assert id_number(serial) not in "\n".join(texts)


def test_same_report_gives_the_same_bytes(session: Path, tmp_path: Path, lang) -> None:
    lang("zh")
    write_report(session, tmp_path / "a.xlsx")
    write_report(session, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_english_workbook_on_request(session: Path, tmp_path: Path, lang) -> None:
    lang("en")
    book = write_report(session, tmp_path / "r.xlsx")
    assert book.sheetnames[4] == "Sign-off sheet" and book["Sign-off sheet"]["I3"].value == "signature"


def test_xlsx_needs_a_file_to_write(session: Path, english) -> None:
    result = CliRunner().invoke(cli, ["-w", str(session), "report", "--format", "xlsx"])
    assert result.exit_code == 2 and "--out" in result.output


def test_a_name_that_looks_like_a_formula_stays_a_name(tmp_path: Path) -> None:
    from station.outputs.xlsx_book import Book, Column
    book = Book("t")
    book.table("s", "title", [Column("name")], [("=HYPERLINK(\"http://x\",\"y\")",), ("@SUM(A1)",), ("张三",)])
    path = tmp_path / "t.xlsx"
    path.write_bytes(book.to_bytes())
    sheet = openpyxl.load_workbook(path)["s"]
    assert [c.data_type for c in sheet["A"][3:]] == ["s", "s", "s"]
    assert sheet["A4"].value.startswith("=HYPERLINK")


# ------------------------------------------------------------------------------------ export summary XLSX
def test_export_writes_the_summary_as_xlsx_too_in_chinese_and_reruns_identically(tmp_path: Path, lang) -> None:
    import json
    import workspace_factory as wf
    from test_export import PATTERN, ROWS, export
    store = wf.new_workspace(tmp_path / "s1", "S1")
    store.upsert_subjects(ROWS, source_file="roster.xlsx")
    played = wf.populate(store, ROWS, outcome=wf.cycle_outcomes(PATTERN), photo=wf.finished_photo(0))
    store.close()
    lang("en")                                   # the operator's screen in English: the export stays Chinese
    out = tmp_path / "out"
    runner = CliRunner()
    assert export(runner, tmp_path / "s1", out).exit_code == 0
    book = openpyxl.load_workbook(out / "summary.xlsx")
    assert book.sheetnames == ["导出汇总", "缺照名单"]
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    counts = {r[0]: r[2] for r in body(book["导出汇总"])}
    assert counts == {**{c["college"]: c["exported"] for c in summary["colleges"]},
                      "合计": sum(1 for v in played.values() if v == "accept")}
    missing = {r[2]: r[5] for r in body(book["缺照名单"])}
    assert set(missing) == {r["student_no"] for r in ROWS if played[r["code"]] != "accept"}
    assert set(missing.values()) <= {"未拍摄", "已拒绝", "待审核"}
    assert book["缺照名单"].print_title_rows == "$1:$3" and book["缺照名单"].freeze_panes == "A4"
    before = (out / "summary.xlsx").read_bytes()
    lang("zh")
    again = export(runner, tmp_path / "s1", out)
    assert again.exit_code == 0, again.output
    assert (out / "summary.xlsx").read_bytes() == before


def test_every_sheet_is_titled_with_its_own_name(book) -> None:
    assert [ws["A1"].value for ws in book.worksheets] == book.sheetnames


def test_the_chinese_html_report_has_no_english_heading(session: Path, tmp_path: Path, lang) -> None:
    import re
    from click.testing import CliRunner
    from station.cli.main import cli
    lang("zh")
    result = CliRunner().invoke(cli, ["-w", str(session), "report", "--format", "html"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    headings = re.findall(r"<(?:h1|h2|th|title)[^>]*>([^<]*)<", result.output)
    assert headings and [h for h in headings if re.search(r"[A-Za-z]{2,}", h)] == []
