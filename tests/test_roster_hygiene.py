"""Rosters as schools really send them, through the real CLI: old .xls files, totals/note/blank rows,
damaged workbooks, and cells carrying invisible or hostile characters."""
from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwt

from station.identity.roster_rows import row_list
from station.store.workspace import Store
from test_roster_import import HEADER, ID1, ID2, ID3, ROWS, make_id, write_csv, write_xlsx
from workspace_factory import run_cli as run


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    assert run(workspace, "init").exit_code == 0
    return workspace


def codes(ws: Path) -> dict[str, str | None]:
    with Store.open(ws) as store:
        return {s.code: s.name for s in store.subjects()}


def write_xls(path: Path, rows: list[list[object]], *, title: str | None = None,
              tail: list[list[object]] = ()) -> Path:
    """A real BIFF8 workbook (what an academic system's 'export to Excel' gives): merged title, numbers."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("毕业生名单")
    top = 0
    if title:
        sheet.write_merge(0, 0, 0, len(HEADER) - 1, title)
        top = 1
    for col, header in enumerate(HEADER):
        sheet.write(top, col, header)
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, row in enumerate([*rows, *tail], start=top + 1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write(r, col, value, date_style)
            else:
                sheet.write(r, col, value)
    book.save(str(path))
    return path


# ------------------------------------------------------------------------------------------------ .xls
def test_xls_roster_imports_with_numbers_as_text_and_a_merged_title(ws: Path, tmp_path: Path, english) -> None:
    rows = [[2017001, "张三", "男", ID1, "化学化工学院", "化学", "化学1701", "本科", "是", dt.date(2021, 6, 1)],
            [2017002.0, "李四", "女", ID2, "化学化工学院", "化学", "化学1701", "本科", 0, None],
            ["2017003", "王五", "男", ID3, "土木工程学院", "土木", "土木1701", "本科", "已缴", "转专业"]]
    path = write_xls(tmp_path / "名单.xls", rows, title="2021届毕业生图像采集名单")
    result = run(ws, "roster", "import", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["kind"], report["detail"], report["header_row"]) == ("xls", "毕业生名单", 2)
    assert report["added"] == 3
    with Store.open(ws) as store:
        got = {s.code: s for s in store.subjects()}
    assert set(got) == {"2017001", "2017002", "2017003"}          # 2017002.0 from Excel is "2017002"
    assert got["2017002"].paid is False and got["2017003"].paid is True
    assert got["2017001"].extra["备注"] == "2021-06-01"              # a date cell, as Excel shows it


def test_damaged_xls_is_one_clean_error(ws: Path, tmp_path: Path, english) -> None:
    good = write_xls(tmp_path / "good.xls", [ROWS[0]])
    cut = tmp_path / "cut.xls"
    cut.write_bytes(good.read_bytes()[:1500])
    result = run(ws, "roster", "import", str(cut))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "cannot read as old binary Excel (.xls)" in result.output and "hint:" in result.output
    assert codes(ws) == {}


def test_xls_that_is_really_a_web_page_says_so(ws: Path, tmp_path: Path, english) -> None:
    page = tmp_path / "导出.xls"
    page.write_text("<html><table><tr><td>学号</td></tr></table></html>", encoding="utf-8")
    result = run(ws, "roster", "import", str(page))
    assert result.exit_code == 1 and "web page (HTML)" in result.output


# ------------------------------------------------------------------------------------- not-student rows
def test_totals_note_and_blank_rows_are_skipped_and_named_not_counted(ws: Path, tmp_path: Path, english) -> None:
    """合计 in the student-number column, 合计 in the college column, a merged 注 row, a blank row between."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["2021届毕业生名单"])
    sheet.merge_cells("A1:J1")
    sheet.append(HEADER)                                      # row 2
    sheet.append(ROWS[0])                                     # 3
    sheet.append([])                                          # 4: blank between students
    sheet.append(ROWS[1])                                     # 5
    sheet.append(ROWS[2])                                     # 6
    sheet.append(["合计", "3人"])                              # 7: would be student "合计" named "3人"
    sheet.append([None, None, None, None, "合计", None, None, None, "共3人"])   # 8: would fail "name is empty"
    sheet.append(["注：身份证号以公安系统为准，如有错误请联系教务处。"])        # 9
    sheet.merge_cells("A9:J9")
    sheet.append(["制表人：王老师", None, None, None, "审核人：", None, "日期：2021-05-20"])  # 10
    sheet.append([])                                          # 11, 12: trailing blanks are not named
    sheet.append([])
    path = tmp_path / "名单.xlsx"
    wb.save(path)
    result = run(ws, "roster", "import", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"] == 3 and report["added"] == 3 and report["problems"] == []
    assert report["not_students"] == [{"row": 4, "kind": "blank"}, {"row": 7, "kind": "total"},
                                      {"row": 8, "kind": "total"}, {"row": 9, "kind": "note"},
                                      {"row": 10, "kind": "note"}]
    assert set(codes(ws)) == {"2017001", "2017002", "2017003"}

    text = run(ws, "roster", "import", str(path), "--dry-run").output
    assert "rows 7-8: totals rows (合计/小计/共N人) skipped, not counted as students" in text
    assert "rows 9-10: note rows" in text and "row 4: blank rows skipped" in text


def test_a_student_row_that_merely_mentions_a_total_is_still_a_student(ws: Path, tmp_path: Path,
                                                                        english) -> None:
    """A valid ID number makes the row a student whatever its remark says; a 备注 column is not a note row."""
    rows = [["2017001", "张三", "男", ID1, "化学化工学院", "化学", "化学1701", "本科", "是", "合计"],
            ["2017002", "李四", "女", ID2, "化学化工学院", "化学", "化学1701", "本科", "是", "说明：转专业"]]
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", rows)), "--json")
    report = json.loads(result.output)
    assert report["added"] == 2 and report["not_students"] == []


def test_a_bad_student_row_next_to_a_total_is_still_reported(ws: Path, tmp_path: Path, english) -> None:
    rows = [ROWS[0], ["2017009", "", "男", make_id(99), "化学化工学院"], ["合计", "2人"]]
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", rows)))
    assert result.exit_code == 1
    assert "1 of 2 rows invalid" in result.output and "row 3: name is empty" in result.output


def test_merged_header_cells_and_title_rows_keep_working(ws: Path, tmp_path: Path, english) -> None:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["某某大学"])
    sheet.merge_cells("A1:J1")
    sheet.append(["2021届毕业生学历注册图像采集名单"])
    sheet.merge_cells("A2:E2")
    sheet.append([*HEADER[:9], "备注", None])                 # 备注 merged over two columns
    sheet.merge_cells("J3:K3")
    for row in ROWS:
        sheet.append([*row, "x"])
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    report = json.loads(run(ws, "roster", "import", str(path), "--json").output)
    assert report["header_row"] == 3 and report["added"] == 3


def test_row_lists_read_like_a_registrar_writes_them() -> None:
    assert row_list([30, 15, 16, 17, 40, 41]) == "15-17, 30, 40-41"
    assert row_list([9]) == "9"


# ----------------------------------------------------------------------------------------- damaged XLSX
def _rewrite(source: Path, target: Path, *, drop: str | None = None, cut: str | None = None) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for name in zin.namelist():
            if name == drop:
                continue
            data = zin.read(name)
            zout.writestr(name, data[: len(data) // 2] if name == cut else data)
    return target


@pytest.mark.parametrize("damage", ["no sheet part", "sheet XML cut", "workbook XML cut"])
def test_damaged_xlsx_is_one_clean_error_not_a_traceback(ws: Path, tmp_path: Path, damage: str,
                                                         english) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", ROWS)
    sheet = "xl/worksheets/sheet1.xml"
    bad = _rewrite(good, tmp_path / "bad.xlsx", drop=sheet if damage == "no sheet part" else None,
                   cut={"sheet XML cut": sheet, "workbook XML cut": "xl/workbook.xml"}.get(damage))
    result = run(ws, "roster", "import", str(bad))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception     # not IndexError / ParseError
    assert "cannot read as XLSX" in result.output and "hint:" in result.output
    assert codes(ws) == {}


# ------------------------------------------------------------------------------------------ cell hygiene
def test_zero_width_characters_are_removed_and_the_student_checks_in(ws: Path, tmp_path: Path, english) -> None:
    rows = [["2017\u200b001", "张\u200d三", "男", ID1 + "\ufeff", "化学化工学院"], ROWS[1][:5]]
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", rows)))
    assert result.exit_code == 0, result.output
    assert "row 2: invisible characters (zero-width spaces, direction marks) removed" in result.output
    assert codes(ws)["2017001"] == "张三"
    checkin = run(ws, "checkin", "2017001")
    assert checkin.exit_code == 0 and "张三" in checkin.output


@pytest.mark.parametrize("cell, column", [("张\x00三", "name"), ("\u202e三张", "name"),
                                          ("化学\x07学院", "college"), ("\u2066x\u2069", "column 备注")])
def test_control_and_bidi_override_characters_refuse_the_row(ws: Path, tmp_path: Path, cell: str,
                                                              column: str, english) -> None:
    row = list(ROWS[0])
    row[{"name": 1, "college": 4}.get(column, 9)] = cell
    path = write_csv(tmp_path / "r.csv", [row, ROWS[1]], "utf-8")
    result = run(ws, "roster", "import", str(path))
    assert result.exit_code == 1
    assert "row 2:" in result.output and "hidden character U+" in result.output and column in result.output
    assert codes(ws) == {}
    skipped = run(ws, "roster", "import", str(path), "--skip-invalid", "--partial-ok")
    assert skipped.exit_code == 0 and set(codes(ws)) == {"2017002"}


def test_unterminated_quote_in_csv_is_refused_with_its_row(ws: Path, tmp_path: Path, english) -> None:
    path = tmp_path / "r.csv"
    lines = [",".join(HEADER), ",".join(ROWS[0]), '2017002,"李四,女,' + ID2 + ",化学化工学院",
             ",".join(ROWS[2])]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    result = run(ws, "roster", "import", str(path))
    assert result.exit_code == 1
    assert "row 3: an unterminated quote" in result.output and "next 1 lines" in result.output
    assert codes(ws) == {}                      # 王五 was swallowed into 李四's name: nothing half-imported


def test_a_quoted_line_break_in_a_remark_is_kept_as_one_line(ws: Path, tmp_path: Path, english) -> None:
    path = tmp_path / "r.csv"
    lines = [",".join(HEADER), ",".join(ROWS[0][:9]) + ',"转专业\n已补考"']
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    assert run(ws, "roster", "import", str(path)).exit_code == 0
    with Store.open(ws) as store:
        assert store.subjects()[0].extra["备注"] == "转专业 已补考"


# --------------------------------------------------------------------------------------------- language
def test_import_messages_are_chinese_by_default_and_english_on_request(ws: Path, tmp_path: Path, lang) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [*ROWS, ["合计", "3人"]])
    lang("zh")
    chinese = run(ws, "roster", "import", str(path), "--dry-run").output
    assert "合计" in chinese and "跳过" in chinese and "不计为学生" in chinese and "skipped" not in chinese
    lang("en")
    english = run(ws, "roster", "import", str(path), "--dry-run").output
    assert "skipped, not counted as students" in english
