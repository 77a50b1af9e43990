"""Registrars' workbooks in the shapes Chinese academic systems export, through the real CLI.

Each workbook is written here with openpyxl (.xlsx) or xlwt (.xls): a title row, a two- or three-row grouped
header with cells merged across and down (是否缴费 merged down over both header rows), one sheet per college,
student numbers stored as numbers, an instructions sheet, an empty sheet, notes and totals rows. What is
checked is what a registrar notices: every student of every sheet is there with name, college and payment,
and every sheet or row that is not read says so on a line of its own.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlwt

from station.core.idnumber import check_character
from station.store.workspace import Store
from workspace_factory import run_cli as run

pytestmark = pytest.mark.usefixtures("english")

Merge = tuple[int, int, int, int]          # first row, first column, last row, last column (rows from 1, cols from 0)
Sheet = tuple[list[list[Any]], list[Merge]]


def make_id(seq: int, birth: str = "20000101", area: str = "430302") -> str:
    first17 = f"{area}{birth}{seq:03d}"
    return first17 + check_character(first17)


def ref(merge: str) -> Merge:
    """'A1:J1' -> (1, 0, 1, 9)."""
    def one(cell: str) -> tuple[int, int]:
        m = re.match(r"([A-Z]+)(\d+)", cell)
        assert m
        col = 0
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
        return int(m.group(2)), col - 1
    a, b = merge.split(":")
    (r1, c1), (r2, c2) = one(a), one(b)
    return r1, c1, r2, c2


def write_xlsx(path: Path, sheets: dict[str, Sheet]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (rows, merges) in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for r1, c1, r2, c2 in merges:
            sheet.merge_cells(start_row=r1, start_column=c1 + 1, end_row=r2, end_column=c2 + 1)
    book.save(path)
    return path


def write_xls(path: Path, sheets: dict[str, Sheet]) -> Path:
    book = xlwt.Workbook(encoding="utf-8")
    for name, (rows, merges) in sheets.items():
        sheet = book.add_sheet(name)
        covered = {(r, c) for r1, c1, r2, c2 in merges for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r1, c1, r2, c2 in merges:
            sheet.write_merge(r1 - 1, r2 - 1, c1, c2, rows[r1 - 1][c1] if c1 < len(rows[r1 - 1]) else "")
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is not None and (r, c) not in covered:
                    sheet.write(r - 1, c, value)
    book.save(str(path))
    return path


WRITERS = {"xlsx": write_xlsx, "xls": write_xls}

# ---------------------------------------------------------------------------------------------- the shapes
GROUPED = [["基本信息", None, None, "证件信息", "院系信息", None, "是否缴费"],
           ["学号", "姓名", "性别", "身份证号", "学院", "班级", None]]
GROUPED_MERGES = [ref("A2:C2"), ref("E2:F2"), ref("G2:G3")]   # after the title row at 1: header on rows 2-3
COLLEGES = {"计算机学院": "计科", "化学化工学院": "化学", "外国语学院": "英语"}


def college_sheet(college: str, first: int, count: int, *, numeric: bool) -> Sheet:
    """A title row, the two-row grouped header (是否缴费 merged down), `count` students, a 合计 row."""
    title = [f"2024届毕业生图像采集名单（{college}）"]
    rows: list[list[Any]] = [title, *[list(r) for r in GROUPED]]
    for i in range(first, first + count):
        number: Any = 2024010000 + i if numeric else f"{2024010000 + i}"
        rows.append([number, f"学生{i}", "男" if i % 2 else "女", make_id(i), college,
                     f"{COLLEGES[college]}2001", "是" if i % 3 else "否"])
    rows.append(["合计", f"{count}人"])
    return rows, [ref("A1:G1"), *GROUPED_MERGES]


def registrar_book(path: Path, kind: str, per_college: int = 4) -> Path:
    """One sheet per college, student numbers stored as numbers on every other sheet, then a 说明 sheet."""
    sheets: dict[str, Sheet] = {}
    for n, college in enumerate(COLLEGES):
        sheets[college] = college_sheet(college, n * per_college + 1, per_college, numeric=n % 2 == 0)
    sheets["说明"] = ([["填表说明"], ["1. 学号请按教务系统填写"], ["2. 是否缴费填 是/否"]], [])
    return WRITERS[kind](path, sheets)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    assert run(workspace, "init").exit_code == 0
    return workspace


def students(ws: Path) -> dict[str, Any]:
    with Store.open(ws) as store:
        return {s.code: s for s in store.subjects()}


# ------------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_every_college_sheet_with_a_grouped_merged_header_is_imported(ws: Path, tmp_path: Path, kind: str) -> None:
    path = registrar_book(tmp_path / f"名单.{kind}", kind)
    result = run(ws, "roster", "import", str(path))
    assert result.exit_code == 0, result.output
    got = students(ws)
    assert len(got) == 12                                       # every sheet, not the first only
    assert {s.college for s in got.values()} == set(COLLEGES)
    assert got["2024010001"].name == "学生1" and got["2024010001"].class_name == "计科2001"
    assert got["2024010005"].college == "化学化工学院"          # a sheet of numbers stored as text
    assert got["2024010003"].paid is False and got["2024010004"].paid is True   # 是否缴费 merged down: kept
    assert all(s.paid is not None for s in got.values())
    assert "sheet '说明' skipped: no header row" in result.output
    assert "sheet '计算机学院': 4 rows, header on rows 2-3" in result.output
    assert result.output.count("totals rows") == 3              # each sheet's 合计 row named


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_dry_run_shows_every_sheets_header_rows_and_mapping(ws: Path, tmp_path: Path, kind: str) -> None:
    path = registrar_book(tmp_path / f"名单.{kind}", kind)
    result = run(ws, "roster", "import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    for college in COLLEGES:
        assert f"sheet '{college}': 4 rows, header on rows 2-3" in result.output
    assert result.output.count("学号->student_no, 姓名->name, 性别->sex, 身份证号->id_number, 学院->college,"
                               " 班级->class_name, 是否缴费->paid") == 3
    assert "would import 12 rows: 12 added" in result.output
    assert students(ws) == {}
    report = json.loads(run(ws, "roster", "import", str(path), "--dry-run", "--json").output)
    assert [s["header_rows"] for s in report["sheets"]] == [[2, 3]] * 3
    assert report["skipped_sheets"][0]["sheet"] == "说明"


def test_chinese_dry_run_names_sheets_and_header_rows(ws: Path, tmp_path: Path, lang) -> None:
    lang("zh")
    result = run(ws, "roster", "import", str(registrar_book(tmp_path / "名单.xlsx", "xlsx")), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "工作表 '计算机学院'：4 行，表头在第 2-3 行" in result.output
    assert "工作表 '说明' 已跳过" in result.output


def test_sheet_option_picks_sheets_and_refuses_an_unknown_one(ws: Path, tmp_path: Path) -> None:
    path = registrar_book(tmp_path / "名单.xlsx", "xlsx")
    result = run(ws, "roster", "import", str(path), "--sheet", "外国语学院", "--sheet", "计算机学院")
    assert result.exit_code == 0, result.output
    assert {s.college for s in students(ws).values()} == {"外国语学院", "计算机学院"}
    bad = run(ws, "roster", "import", str(path), "--sheet", "文学院")
    assert bad.exit_code == 1 and "no sheet named '文学院'" in bad.output
    instructions = run(ws, "roster", "import", str(path), "--sheet", "说明")    # asked for: no header is an error
    assert instructions.exit_code == 1 and "no header row" in instructions.output


def test_synonyms_学生编号_名字_院系_give_named_students(ws: Path, tmp_path: Path) -> None:
    rows = [["学生编号", "名字", "院系", "证件号码"],
            ["S001", "张三", "文学院", make_id(1)], ["S002", "李四", "文学院", make_id(2)]]
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", {"Sheet1": (rows, [])})))
    assert result.exit_code == 0, result.output
    assert {c: s.name for c, s in students(ws).items()} == {"S001": "张三", "S002": "李四"}
    assert "名字->name" in result.output and "kept as extra" not in result.output


def test_a_roster_without_a_name_column_is_refused_with_its_mapping_unless_mapped(ws: Path, tmp_path: Path) -> None:
    rows = [["学号", "学员", "院系"], ["S001", "张三", "文学院"], ["S002", "李四", "文学院"]]
    path = write_xlsx(tmp_path / "r.xlsx", {"学生": (rows, [])})
    refused = run(ws, "roster", "import", str(path))
    assert refused.exit_code == 1
    assert "no name column" in refused.output and "学号->student_no, 学员->extra, 院系->college" in refused.output
    assert "--map" in refused.output and students(ws) == {}
    mapped = run(ws, "roster", "import", str(path), "--column", "学员=name")
    assert mapped.exit_code == 0, mapped.output
    assert students(ws)["S001"].name == "张三"


def test_numbers_floats_full_width_spaces_and_lowercase_x_are_normalised(ws: Path, tmp_path: Path) -> None:
    x_id = next(make_id(i) for i in range(1, 999) if make_id(i).endswith("X"))
    rows = [["学号", "姓名", "身份证号", "学院"],
            [2021010001, "甲", make_id(1), "文学院"],                     # a number
            [2021010002.0, "乙", make_id(2), "文学院"],                   # a float
            ["2.021010003E9", "丙", make_id(3), "文学院"],               # a system's double printed as text
            ["２０２１０１０００４", "丁", make_id(4), "文学院"],          # full-width digits
            [" 2021 010005 ", "戊", " " + make_id(5)[:6] + " " + make_id(5)[6:] + " ", "文学院"],   # stray spaces
            ["2021010006", "己", x_id.lower(), "文学院"]]                 # a lowercase x
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", {"名单": (rows, [])})))
    assert result.exit_code == 0, result.output
    got = students(ws)
    assert set(got) == {f"202101000{i}" for i in range(1, 7)}
    assert got["2021010005"].id_number == make_id(5) and got["2021010006"].id_number == x_id


def test_scientific_text_that_lost_digits_is_still_refused(ws: Path, tmp_path: Path) -> None:
    rows = [["学号", "姓名", "学院"], ["2.02101E+09", "甲", "文学院"], ["2021010002", "乙", "文学院"]]
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", {"名单": (rows, [])})))
    assert result.exit_code == 1 and "row 2:" in result.output and "lost digits" in result.output


def test_three_row_header_under_a_title_and_a_note_line(ws: Path, tmp_path: Path) -> None:
    rows = [["某某大学2024届毕业生学历注册图像采集名单"],
            ["学生信息", None, None, "学籍信息", None, None],
            ["基本信息", None, "证件信息", "培养信息", None, "缴费"],
            ["学号", "姓名", "身份证号", "学院", "专业", None],
            ["2024001", "张三", make_id(1), "文学院", "汉语言", "已缴"],
            ["2024002", "李四", make_id(2), "文学院", "汉语言", "未缴"],
            ["制表人：王老师"]]
    merges = [ref("A1:F1"), ref("A2:C2"), ref("D2:F2"), ref("A3:B3"), ref("D3:E3"), ref("F3:F4")]
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", {"名单": (rows, merges)})),
                 "--dry-run", "--json")
    report = json.loads(result.output)
    assert report["sheets"][0]["header_rows"] == [2, 4]
    assert report["columns"]["paid"] == "缴费" and report["added"] == 2
    assert report["not_students"] == [{"row": 7, "kind": "note"}]


def test_instructions_first_an_empty_sheet_and_a_chart_like_gap_are_named(ws: Path, tmp_path: Path) -> None:
    sheets: dict[str, Sheet] = {
        "填表说明": ([["请勿修改表头"], ["学号：10位数字"], ["姓名：与身份证一致"]], []),
        "Sheet2": ([], []),
        "毕业生": ([["学号", "姓名", "学院"], ["2024001", "张三", "文学院"]], []),
    }
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", sheets)))
    assert result.exit_code == 0, result.output
    assert "sheet '填表说明' skipped: no header row" in result.output
    assert "sheet 'Sheet2' skipped: the sheet is empty" in result.output
    assert set(students(ws)) == {"2024001"}


def test_a_student_on_two_sheets_is_reported_with_both_sheets(ws: Path, tmp_path: Path) -> None:
    header = ["学号", "姓名", "学院"]
    sheets: dict[str, Sheet] = {"文学院": ([header, ["2024001", "张三", "文学院"], ["2024002", "李四", "文学院"]], []),
                                "理学院": ([header, ["2024003", "王五", "理学院"], ["2024001", "张三", "理学院"]], [])}
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", sheets)))
    assert result.exit_code == 1
    assert "sheet '文学院' row 2: duplicate student number 2024001 (also on row 理学院!3)" in result.output
    assert "sheet '理学院' row 3: duplicate student number 2024001 (also on row 文学院!2)" in result.output
    assert students(ws) == {}
    data = json.loads(run(ws, "roster", "import", str(tmp_path / "r.xlsx"), "--json").output)
    assert {"row": 3, "sheet": "理学院"}.items() <= data["problems"][-1].items()


def test_a_header_cell_merged_across_two_columns_keeps_both_columns(ws: Path, tmp_path: Path) -> None:
    rows = [["学号", "姓名", "学院", "联系方式", None],
            ["2024001", "张三", "文学院", "13800000000", "zs@example.edu"]]
    result = run(ws, "roster", "import", str(write_xls(tmp_path / "r.xls", {"名单": (rows, [ref("D1:E1")])})))
    assert result.exit_code == 0, result.output
    assert students(ws)["2024001"].extra == {"联系方式": "13800000000", "联系方式 (2)": "zs@example.edu"}


def test_header_below_notes_rows_in_an_old_xls_with_numbers(ws: Path, tmp_path: Path) -> None:
    rows = [["注：本表由教务处导出，请勿改动列顺序"], ["导出时间：2024-05-20"], [],
            ["序号", "学号", "姓名", "性别", "院系", "是否缴费"],
            [1.0, 2024001.0, "张三", "男", "文学院", 1.0], [2.0, 2024002.0, "李四", "女", "文学院", 0.0],
            [], ["共2人"]]
    result = run(ws, "roster", "import", str(write_xls(tmp_path / "r.xls", {"名单": (rows, [ref("A1:F1")])})))
    assert result.exit_code == 0, result.output
    got = students(ws)
    assert set(got) == {"2024001", "2024002"} and got["2024002"].paid is False
    assert "header on row 4" in result.output
    assert "row 7: blank rows skipped" in result.output and "row 8: totals rows" in result.output


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_a_college_merged_down_over_its_students_counts_for_each_of_them(ws: Path, tmp_path: Path, kind: str) -> None:
    rows = [["学院", "学号", "姓名"], ["文学院", "2024001", "张三"], [None, "2024002", "李四"],
            [None, "2024003", "王五"], ["理学院", "2024004", "赵六"]]
    result = run(ws, "roster", "import", str(WRITERS[kind](tmp_path / f"r.{kind}", {"名单": (rows, [ref("A2:A4")])})))
    assert result.exit_code == 0, result.output
    assert {c: s.college for c, s in students(ws).items()} == {"2024001": "文学院", "2024002": "文学院",
                                                              "2024003": "文学院", "2024004": "理学院"}


def test_values_in_a_column_without_a_header_are_named_not_dropped_silently(ws: Path, tmp_path: Path) -> None:
    rows = [["学号", "姓名", "学院"], ["2024001", "张三", "文学院", "补录"], ["2024002", "李四", "文学院"],
            ["2024003", "王五", "文学院", None, "退学"]]
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", {"名单": (rows, [])})))
    assert result.exit_code == 0, result.output
    assert "column D has no header: its value on row 2 is not imported" in result.output
    assert "column E has no header: its value on row 4 is not imported" in result.output


def test_one_block_per_class_with_its_title_and_repeated_header(ws: Path, tmp_path: Path) -> None:
    header = ["学号", "姓名", "院系", "班级"]
    rows = [["计科2001班"], header, ["2024001", "张三", "计算机学院", "计科2001"],
            ["2024002", "李四", "计算机学院", "计科2001"],
            ["计科2002班"], header, ["2024003", "王五", "计算机学院", "计科2002"]]
    merges = [ref("A1:D1"), ref("A5:D5")]
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", {"计算机学院": (rows, merges)})))
    assert result.exit_code == 0, result.output
    assert set(students(ws)) == {"2024001", "2024002", "2024003"}
    assert "row 5: section title rows" in result.output and "row 6: repeated header rows" in result.output


def test_dates_and_numbers_in_extra_columns_read_as_excel_shows_them(ws: Path, tmp_path: Path) -> None:
    import datetime as dt
    rows = [["学号", "姓名", "学院", "出生日期", "学分"], ["2024001", "张三", "文学院", dt.date(2002, 3, 4), 152.5]]
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", {"名单": (rows, [])})))
    assert result.exit_code == 0, result.output
    assert students(ws)["2024001"].extra == {"出生日期": "2002-03-04", "学分": "152.5"}


def test_a_workbook_where_no_sheet_has_a_header_names_each_sheet(ws: Path, tmp_path: Path) -> None:
    sheets: dict[str, Sheet] = {"说明": ([["填表说明"]], []), "数据": ([["工号", "名字"], ["T1", "张三"]], [])}
    result = run(ws, "roster", "import", str(write_xlsx(tmp_path / "r.xlsx", sheets)))
    assert result.exit_code == 1
    assert "no sheet has a header row" in result.output
    assert "sheet '说明': no header row" in result.output and "sheet '数据': no header row" in result.output
    assert "(first row: 工号, 名字)" in result.output and "--map" in result.output


def test_rich_text_names_and_a_prefixed_sheet_xml_as_dotnet_systems_write_it(ws: Path, tmp_path: Path) -> None:
    """A rich-text cell (two runs, one bold) and a sheet whose XML uses the `x:` prefix (OpenXML SDK)."""
    import zipfile
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet.append(["学号", "姓名", "学院"])
    sheet.append(["2024001", CellRichText(TextBlock(InlineFont(b=True), "欧阳"), "娜娜"), "文学院"])
    sheet.append(["2024002", "李四", "文学院"])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(prefixed, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = re.sub(r"<(/?)(?!\?)(\w+)([ />])", r"<\1x:\2\3", text)
                text = text.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                                    'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
                data = text.encode()
            zout.writestr(item, data)
    for path in (plain, prefixed):
        result = run(ws, "roster", "import", str(path), "--dry-run", "--json")
        assert json.loads(result.output)["added"] == 2, result.output
    assert run(ws, "roster", "import", str(prefixed)).exit_code == 0
    assert students(ws)["2024001"].name == "欧阳娜娜"


def test_a_summary_sheet_repeating_the_college_sheets_is_named_and_skipped(ws: Path, tmp_path: Path) -> None:
    header = ["学号", "姓名", "学院"]
    wen = [["2024001", "张三", "文学院"], ["2024002", "李四", "文学院"]]
    li = [["2024003", "王五", "理学院"]]
    sheets: dict[str, Sheet] = {"总表": ([header, *wen, *li], []), "文学院": ([header, *wen], []),
                                "理学院": ([header, *li], [])}
    path = write_xlsx(tmp_path / "r.xlsx", sheets)
    result = run(ws, "roster", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "sheet '总表' skipped: it repeats students of the other sheets" in result.output
    assert set(students(ws)) == {"2024001", "2024002", "2024003"}
    alone = run(ws, "roster", "import", str(path), "--sheet", "总表")
    assert alone.exit_code == 0 and "3 unchanged" in alone.output


def test_an_indented_workbook_xml_reads_the_same(ws: Path, tmp_path: Path) -> None:
    """Some generators indent their XML: whitespace between elements is not part of any cell."""
    import zipfile
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", "学院"])
    sheet.append(["2024001", CellRichText(TextBlock(InlineFont(b=True), "欧阳"), "娜娜"), "文学院"])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    indented = tmp_path / "indented.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(indented, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/") and item.filename.endswith(".xml"):
                data = re.sub(rb"><(?!/t>)", b">\n    <", data)     # a line break and indentation between tags
            zout.writestr(item, data)
    result = run(ws, "roster", "import", str(indented))
    assert result.exit_code == 0, result.output
    assert students(ws)["2024001"].name == "欧阳娜娜" and students(ws)["2024001"].college == "文学院"


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_columns_merged_down_beside_a_group_merged_across(ws: Path, tmp_path: Path, kind: str) -> None:
    """The commonest grouped header: every single column merged down over both rows, groups across."""
    rows = [["序号", "学号", "姓名", "证件信息", None, "是否缴费"],
            [None, None, None, "证件类型", "证件号码", None],
            [1, 2024001, "张三", "居民身份证", make_id(1), "是"],
            [2, 2024002, "李四", "居民身份证", make_id(2), "否"]]
    merges = [ref("A1:A2"), ref("B1:B2"), ref("C1:C2"), ref("D1:E1"), ref("F1:F2")]
    result = run(ws, "roster", "import", str(WRITERS[kind](tmp_path / f"r.{kind}", {"名单": (rows, merges)})),
                 "--dry-run", "--json")
    report = json.loads(result.output)
    assert report["sheets"][0]["header_rows"] == [1, 2]
    assert report["columns"] == {"student_no": "学号", "name": "姓名", "id_number": "证件号码", "paid": "是否缴费"}
    assert report["extra_columns"] == ["序号", "证件类型"] and report["added"] == 2
