"""Roster import through the real CLI into a real workspace: encodings, XLSX cells, validation, re-import."""
from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from station.cli.main import cli
from station.core.idnumber import check_character
from station.store.models import Subject
from station.store.models import CapturedFile
from station.store.workspace import Store
from workspace_factory import run_cli

HEADER = ["学号", "姓名", "性别", "身份证号", "学院", "专业", "班级", "层次", "是否缴费", "备注"]


def make_id(seq: int, birth: str = "20010203", area: str = "430302") -> str:
    first17 = f"{area}{birth}{seq:03d}"
    return first17 + check_character(first17)


ID1, ID2, ID3, ID4 = make_id(11), make_id(22), make_id(33), make_id(44)
ROWS = [
    ["2017001", "张三", "男", ID1, "化学化工学院", "化学", "化学1701", "本科", "是", ""],
    ["2017002", "李四", "女", ID2, "化学化工学院", "化学", "化学1701", "本科", "否", "转专业"],
    ["2017003", "王五", "男", ID3, "土木工程学院", "土木", "土木1701", "本科", "已缴", ""],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "gbk", header: list[str] = HEADER) -> Path:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], header: list[str] = HEADER, title: str | None = None,
               sheet: str = "名单") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
    other = wb.create_sheet("说明")
    other.append(["本表由教务处导出"])
    wb.save(path)
    return path


run = run_cli   # `station -w WS ...`, shared with the other CLI tests

#: the assertions below read the English messages (the Chinese ones are checked in test_roster_hygiene.py)
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    assert run(workspace, "init").exit_code == 0
    return workspace


def subjects(ws: Path) -> dict[str, Subject]:
    with Store.open(ws) as store:
        return {s.code: s for s in store.subjects()}


def events(ws: Path, kind: str) -> int:
    with Store.open(ws) as store:
        return store.conn.execute("SELECT COUNT(*) FROM events WHERE kind = ?", (kind,)).fetchone()[0]


# ------------------------------------------------------------------------------------------ reading formats
@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_roster_in_every_encoding_excel_produces(ws: Path, tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "名单.csv", ROWS, encoding)
    result = run(ws, "roster", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "3 added" in result.output
    got = subjects(ws)
    assert set(got) == {"2017001", "2017002", "2017003"}
    s = got["2017002"]
    assert (s.name, s.sex, s.id_number, s.college, s.major, s.class_name, s.level, s.paid) == \
        ("李四", "女", ID2, "化学化工学院", "化学", "化学1701", "本科", False)
    assert s.extra == {"备注": "转专业"}
    assert got["2017003"].paid is True


def test_gbk_csv_with_rare_gb18030_name(ws: Path, tmp_path: Path) -> None:
    rows = [r[:] for r in ROWS]
    rows[0][1] = "张㛃"   # outside GB2312: what GBK-only decoding would mangle
    path = write_csv(tmp_path / "r.csv", rows, "gb18030")
    assert run(ws, "roster", "import", str(path)).exit_code == 0
    assert subjects(ws)["2017001"].name == "张㛃"


def test_xlsx_roster_numbers_become_text_and_title_row_is_skipped(ws: Path, tmp_path: Path) -> None:
    rows = [[2017001, "张三", "男", ID1, "化学化工学院", "化学", "化学1701", "本科", 1, None],
            [2017002.0, "李四", "女", ID2, "化学化工学院", "化学", "化学1701", "本科", "N", 3.5],
            ["2017003", "王五", "男", ID3.lower(), "土木工程学院", "土木",
             "土木1701", "本科", True, None]]
    path = write_xlsx(tmp_path / "名单.xlsx", rows, title="2021届毕业生图像采集名单")
    result = run(ws, "roster", "import", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert '"header_row": 2' in result.output
    got = subjects(ws)
    assert set(got) == {"2017001", "2017002", "2017003"}   # no "2017002.0"
    assert got["2017002"].paid is False and got["2017001"].paid is True and got["2017003"].paid is True
    assert got["2017003"].id_number == ID3                    # lowercase x normalised
    assert got["2017002"].extra == {"备注": "3.5"}


def test_xlsx_id_number_stored_as_float_is_refused_with_reason(ws: Path, tmp_path: Path) -> None:
    rows = [["2017001", "张三", "男", float(ID1[:17] + "0"), "学院", "", "", "", "", ""],
            ["2017002", "李四", "女", ID2, "学院", "", "", "", "", ""]]
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    result = run(ws, "roster", "import", str(path))
    assert result.exit_code == 1
    assert "row 2:" in result.output and "lost digits" in result.output
    assert "row 3" not in result.output
    assert subjects(ws) == {}


def test_csv_id_number_in_scientific_notation_is_refused(ws: Path, tmp_path: Path) -> None:
    rows = [["2017001", "张三", "男", "4.30302E+17", "学院", "", "", "", "", ""]]
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "r.csv", rows)))
    assert result.exit_code == 1
    assert "row 2: ID number '4.30302E+17' was saved in scientific notation" in result.output


def test_xlsx_sheet_option_and_unknown_sheet(ws: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", ROWS, sheet="毕业生")
    bad = run(ws, "roster", "import", str(path), "--sheet", "Sheet9")
    assert bad.exit_code == 1
    assert "no sheet named 'Sheet9'; sheets: 毕业生, 说明" in bad.output
    assert run(ws, "roster", "import", str(path), "--sheet", "毕业生").exit_code == 0
    assert len(subjects(ws)) == 3


def test_english_and_variant_headers(ws: Path, tmp_path: Path) -> None:
    header = ["Student No.", " Name ", "Gender", "ID Number", "Department", "Major", "Class", "Level",
              "Paid", "Collect Code"]
    rows = [["S1", "Zhang San", "M", ID1, "Chemistry", "Chem", "C1", "BSc", "Y", "CJM001"],
            ["S2", "Li Si", "F", ID2, "Chemistry", "Chem", "C1", "BSc", "no", "CJM002"]]
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "r.csv", rows, "utf-8", header)))
    assert result.exit_code == 0, result.output
    got = subjects(ws)
    assert got["S1"].collect_code == "CJM001" and got["S1"].paid is True and got["S2"].paid is False
    assert got["S2"].college == "Chemistry" and got["S2"].class_name == "C1"


def test_full_width_and_decorated_chinese_headers(ws: Path, tmp_path: Path) -> None:
    header = ["学 号（必填）", "姓　名*", "身份证号码", "院系", "班级名称", "学历层次", "已缴费"]
    rows = [["2017001", "张三", ID1, "化学化工学院", "化学1701", "本科", "√"]]
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "r.csv", rows, "utf-8", header)))
    assert result.exit_code == 0, result.output
    s = subjects(ws)["2017001"]
    assert (s.name, s.college, s.class_name, s.level, s.paid) == ("张三", "化学化工学院", "化学1701", "本科", True)


def test_map_option_names_an_unknown_header(ws: Path, tmp_path: Path) -> None:
    header = ["工号", "姓名", "部门"]
    path = write_csv(tmp_path / "r.csv", [["T001", "张三", "后勤"]], "utf-8", header)
    unmapped = run(ws, "roster", "import", str(path))
    assert unmapped.exit_code == 1 and "no header row" in unmapped.output and "--map" in unmapped.output
    result = run(ws, "roster", "import", str(path), "--map", "工号=student_no", "--map", "部门=college")
    assert result.exit_code == 0, result.output
    assert subjects(ws)["T001"].college == "后勤"
    assert run(ws, "roster", "import", str(path), "--map", "工号").exit_code == 1


def test_code_falls_back_to_id_number_then_collect_code(ws: Path, tmp_path: Path) -> None:
    header = ["姓名", "身份证号", "采集码"]
    rows = [["张三", ID1, "CJ1"], ["李四", "", "CJ2"]]
    assert run(ws, "roster", "import", str(write_csv(tmp_path / "r.csv", rows, "utf-8", header))).exit_code == 0
    assert set(subjects(ws)) == {ID1, "CJ2"}


# ------------------------------------------------------------------------------------------ validation
def test_every_invalid_row_is_reported_by_row_number_and_nothing_is_imported(ws: Path, tmp_path: Path) -> None:
    bad_check = ID4[:17] + ("0" if ID4[17] != "0" else "1")
    rows = [
        ROWS[0],                                                               # row 2: dup student no with 6
        ["2017010", "赵六", "男", bad_check, "学院", "", "", "", "是", ""],      # row 3: check digit
        ["2017011", "", "女", make_id(55), "学院", "", "", "", "是", ""],        # row 4: no name
        ["", "孙七", "女", "", "学院", "", "", "", "是", ""],                    # row 5: no key at all
        ["2017001", "周八", "男", make_id(66), "学院", "", "", "", "是", ""],    # row 6: dup student no with 2
        ["2017012", "吴九", "男", make_id(77), "学院", "", "", "", "也许", ""],  # row 7: paid not understood
        ["2017013", "郑十", "男", ROWS[1][3], "学院", "", "", "", "否", ""],    # row 8: dup ID with 9
        ROWS[1],                                                               # row 9: dup ID with 8
        ["", "", "", "", "", "", "", "", "", ""],                              # row 10: blank, ignored
        ["2017014", "冯一", "男", "43030220010203", "学院", "", "", "", "", ""],  # row 11: short ID
        ROWS[2],                                                               # row 12: valid
    ]
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "r.csv", rows)))
    assert result.exit_code == 1
    out = result.output
    assert "9 of 10 rows invalid; nothing imported" in out
    expected = {
        2: "duplicate student number 2017001 (also on row 6)",
        3: "check digit",
        4: "name is empty",
        5: "no student number, ID number or 采集码",
        6: "duplicate student number 2017001 (also on row 2)",
        7: "paid value '也许' is not understood",
        8: "duplicate ID number",
        9: "duplicate ID number",
        11: "ID number must have 18 characters",
    }
    for row, reason in expected.items():
        assert any(line.startswith(f"  row {row}: ") and reason in line for line in out.splitlines()), (row, out)
    assert "row 10" not in out and "row 12" not in out
    assert bad_check not in out and ROWS[1][3] not in out           # ID numbers masked on screen
    assert subjects(ws) == {} and events(ws, "roster_import") == 0


def test_json_error_output_lists_problems(ws: Path, tmp_path: Path) -> None:
    import json
    rows = [ROWS[0], ROWS[0]]
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "r.csv", rows)), "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["ok"] is False and [p["row"] for p in payload["problems"]] == [2, 2, 3, 3]


def test_skip_invalid_imports_good_rows_and_warns(ws: Path, tmp_path: Path) -> None:
    rows = [ROWS[0], ["2017009", "", "男", make_id(99), "学院", "", "", "", "", ""], ROWS[2]]
    result = CliRunner().invoke(cli, ["-w", str(ws), "roster", "import",
                                      str(write_csv(tmp_path / "r.csv", rows)), "--skip-invalid"])
    assert result.exit_code == 1                              # rows were refused: exit 1 unless --partial-ok
    assert "warning: row 3 skipped: name is empty" in result.stderr
    assert "imported 2 rows: 2 added" in result.stdout and "1 invalid rows skipped" in result.stdout
    assert set(subjects(ws)) == {"2017001", "2017003"}
    again = CliRunner().invoke(cli, ["-w", str(ws), "roster", "import", str(tmp_path / "r.csv"), "--skip-invalid",
                                     "--partial-ok"])
    assert again.exit_code == 0 and "2 unchanged" in again.stdout


def test_dry_run_writes_nothing(ws: Path, tmp_path: Path) -> None:
    journal = ws / "journal.sqlite3"
    before = events(ws, "roster_import"), sorted(p.name for p in ws.rglob("*"))
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "r.csv", ROWS)), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would import 3 rows: 3 added" in result.output and "nothing written" in result.output
    assert subjects(ws) == {} and events(ws, "roster_import") == 0
    assert sorted(p.name for p in ws.rglob("*")) == before[1]
    assert journal.exists()


def test_empty_and_unreadable_files(ws: Path, tmp_path: Path) -> None:
    only_header = write_csv(tmp_path / "h.csv", [])
    assert "no data rows" in run(ws, "roster", "import", str(only_header)).output
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert "old binary Excel" in run(ws, "roster", "import", str(xls)).output
    fake = tmp_path / "fake.xlsx"
    fake.write_text("学号\n1\n")
    assert run(ws, "roster", "import", str(fake)).exit_code == 1
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x81\x30\xff\xff\xfe")
    assert "neither UTF-8 nor GBK" in run(ws, "roster", "import", str(junk)).output


# ------------------------------------------------------------------------------------------ re-import
def test_reimport_updates_subjects_and_keeps_captures(ws: Path, tmp_path: Path) -> None:
    assert run(ws, "roster", "import", str(write_csv(tmp_path / "v1.csv", ROWS))).exit_code == 0
    photo = b"\xff\xd8" + b"photo of li si" * 100 + b"\xff\xd9"
    with Store.open(ws) as store:
        li = store.find_subject("student_no", "2017002")
        take = store.record_capture([CapturedFile(photo, "jpeg", "IMG_0001.JPG")], subject_id=li.id,
                                    source="trigger")
    changed = [r[:] for r in ROWS]
    changed[1][6] = "化学1702"                     # class corrected
    changed[1][8] = "是"                           # paid after all
    changed.append(["2017004", "钱七", "女", ID4, "土木工程学院", "土木", "土木1701", "本科", "是", ""])
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "v2.csv", changed)))
    assert result.exit_code == 0, result.output
    assert "1 added, 1 updated, 2 unchanged" in result.output
    with Store.open(ws) as store:
        li2 = store.find_subject("student_no", "2017002")
        assert li2.id == li.id and li2.class_name == "化学1702" and li2.paid is True
        kept = store.take(take.id)
        assert kept.subject_id == li.id
        path = ws / kept.primary.file
        assert hashlib.sha256(path.read_bytes()).hexdigest() == kept.primary.sha256 == take.primary.sha256
        assert store.subject_status(li.id) == "shot"
        assert store.conn.execute("SELECT COUNT(*) FROM subjects").fetchone()[0] == 4
    again = run(ws, "roster", "import", str(write_csv(tmp_path / "v2.csv", changed)))
    assert "0 added, 0 updated, 4 unchanged" in again.output


def test_reimport_conflicting_with_an_existing_student_is_reported(ws: Path, tmp_path: Path) -> None:
    assert run(ws, "roster", "import", str(write_csv(tmp_path / "v1.csv", ROWS))).exit_code == 0
    swapped = [ROWS[0][:],
               ["2017002", "李四", "女", make_id(88), "学院", "", "", "", "", ""],   # row 3: new ID for 2017002
               ["2017009", "新生", "男", ID2, "学院", "", "", "", "", ""]]           # row 4: 2017002's old ID
    swapped[0][3] = ROWS[2][3]     # row 2: 2017001 now claims 2017003's ID number
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "v2.csv", swapped)))
    assert result.exit_code == 1
    assert "row 2: ID number" in result.output and "already belongs to subject 2017003" in result.output
    assert "row 3: updates the same existing subject 2017002 as row 4" in result.output
    assert "row 4: updates the same existing subject 2017002 as row 3" in result.output
    got = subjects(ws)
    assert got["2017001"].id_number == ID1 and "2017009" not in got and got["2017002"].id_number == ID2
    extra_row = ["2017020", "新人", "女", make_id(120), "学院", "", "", "", "", ""]
    skipped = run(ws, "roster", "import", str(write_csv(tmp_path / "v3.csv", swapped + [extra_row])),
                  "--skip-invalid", "--partial-ok")
    assert skipped.exit_code == 0 and "imported 1 rows: 1 added" in skipped.output
    assert subjects(ws)["2017002"].id_number == ID2


def test_roster_import_after_roster_less_checkin_adopts_the_scanned_subject(ws: Path, tmp_path: Path) -> None:
    assert run(ws, "checkin", ID1).exit_code == 0          # registry session: the ID number is the subject
    with Store.open(ws) as store:
        scanned = store.find_subject("id_number", ID1)
        store.record_capture([CapturedFile(b"jpegdata")], subject_id=scanned.id, source="trigger")
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "r.csv", ROWS)))
    assert result.exit_code == 0, result.output
    assert "2 added, 1 updated" in result.output
    with Store.open(ws) as store:
        adopted = store.find_subject("student_no", "2017001")
        assert adopted.id == scanned.id and adopted.in_roster and adopted.name == "张三"
        assert store.takes(subject_id=adopted.id)


def test_excel_unicode_text_export_utf16_tab_separated(ws: Path, tmp_path: Path) -> None:
    lines = ["\t".join(HEADER)] + ["\t".join(r) for r in ROWS]
    path = tmp_path / "名单.txt"
    path.write_bytes("\r\n".join(lines).encode("utf-16"))     # with BOM, as Excel writes it
    result = run(ws, "roster", "import", str(path))
    assert result.exit_code == 0, result.output
    assert subjects(ws)["2017003"].college == "土木工程学院"


def test_cell_values_as_excel_delivers_them() -> None:
    from station.identity.roster_columns import CellProblem, cell_text
    assert cell_text(2017001, "student_no") == "2017001"
    assert cell_text(2017001.0, "student_no") == "2017001"
    assert cell_text(110105194912310021, "id_number") == "110105194912310021"   # an exact integer is kept
    assert cell_text('="11010519491231002X"', "id_number") == "11010519491231002X"
    assert cell_text("'2017001", "student_no") == "2017001"
    assert cell_text("２０１７００１", "student_no") == "2017001"
    assert cell_text(3.5, None) == "3.5"
    for lost in (1.10105194912310e17, 2.0170000000001e15):
        with pytest.raises(CellProblem, match="lost digits"):
            cell_text(lost, "student_no")


def test_two_columns_meaning_the_same_field_ask_for_a_map(ws: Path, tmp_path: Path) -> None:
    header = ["学号", "姓名", "学院", "院系"]
    path = write_csv(tmp_path / "r.csv", [["2017001", "张三", "化学化工学院", "化学系"]], "utf-8", header)
    result = run(ws, "roster", "import", str(path))
    assert result.exit_code == 1 and "columns '学院' and '院系' both mean college" in result.output
    assert run(ws, "roster", "import", str(path), "--map", "院系=extra").exit_code == 0
    assert subjects(ws)["2017001"].extra == {"院系": "化学系"}
