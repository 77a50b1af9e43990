"""Check-in from every kind of scan, with and without a roster, through the real CLI and journal."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.core.idnumber import check_character
from station.store.workspace import Store
from workspace_factory import run_cli

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages


def make_id(seq: int) -> str:
    first17 = f"11010520000101{seq:03d}"
    return first17 + check_character(first17)


ID_X = "11010519491231002X"            # the spec's example: check character X
ID_A, ID_B = make_id(11), make_id(23)
ROSTER = ("学号,姓名,身份证号,学院,班级,采集码\n"
          f"2017001,张三,{ID_X},化学化工学院,化学1701,CJM7Q2K9A\n"
          f"2017002,李四,{ID_A},化学化工学院,化学1701,CJM8R3L0B\n"
          f"2017003,王五,{ID_B},土木工程学院,土木1701,CJM9S4M1C\n")


run = run_cli   # `station -w WS ...`, shared with the other CLI tests


def checkin(ws: Path, code: str) -> dict:
    result = run(ws, "checkin", code, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def check_ins(ws: Path) -> list[tuple[int, str]]:
    with Store.open(ws) as store:
        return [(r[0], r[1]) for r in store.conn.execute(
            "SELECT json_extract(data, '$.shoot_no'), json_extract(data, '$.scanned') FROM events"
            " WHERE kind = 'check_in' ORDER BY id")]


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert run(ws, "init").exit_code == 0
    return ws


@pytest.fixture
def rostered(bare: Path, tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode("gbk"))
    assert run(bare, "roster", "import", str(path)).exit_code == 0
    return bare


def set_barcode(ws: Path, prefix: str, suffix: str) -> None:
    toml = ws / "station.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('barcode_prefix = ""', f'barcode_prefix = "{prefix}"')
    text = text.replace('barcode_suffix = ""', f'barcode_suffix = "{suffix}"')
    toml.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("scan, matched_by", [
    ("2017002", "student_no"),
    (ID_A, "id_number"),
    ("CJM8R3L0B", "collect_code"),
    ("  2017002\r\n", "student_no"),          # scanner line ending
    ("２０１７００２", "student_no"),            # full-width digits from a Chinese input method
])
def test_checkin_with_roster_by_each_key(rostered: Path, scan: str, matched_by: str) -> None:
    got = checkin(rostered, scan)
    assert got["subject"]["code"] == "2017002" and got["matched_by"] == matched_by
    assert got["subject"]["id_number"] == ID_A[:6] + "********" + ID_A[-4:]
    assert got["shoot_no"] == 1
    # the scan is journalled as it came, less control characters (a line ending; camera.devtext)
    assert check_ins(rostered) == [(1, scan.replace("\r\n", ""))]


def test_id_number_with_lowercase_x(rostered: Path) -> None:
    got = checkin(rostered, ID_X.lower())
    assert got["subject"]["code"] == "2017001" and got["matched_by"] == "id_number"


def test_prefixed_card_barcode_is_stripped(rostered: Path) -> None:
    set_barcode(rostered, "HNUST", "#")
    got = checkin(rostered, "HNUST2017003#")
    assert got["subject"]["code"] == "2017003" and got["subject"]["college"] == "土木工程学院"
    assert check_ins(rostered) == [(1, "HNUST2017003#")]


def test_unknown_code_with_roster_is_refused_and_nothing_bound(rostered: Path) -> None:
    result = run(rostered, "checkin", "2099999")
    assert result.exit_code == 1
    assert "error: code '2099999' is not in the roster: nothing bound" in result.output
    assert check_ins(rostered) == []
    with Store.open(rostered) as store:
        assert store.bound_subject() is None
        assert store.conn.execute("SELECT COUNT(*) FROM subjects").fetchone()[0] == 3


@pytest.mark.parametrize("fixture", ["rostered", "bare"])
def test_typed_id_with_wrong_check_digit_is_refused_with_reason(fixture: str, request) -> None:
    ws = request.getfixturevalue(fixture)
    wrong = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")
    result = run(ws, "checkin", wrong)
    assert result.exit_code == 1
    assert f"check digit is {wrong[17]}, expected {ID_A[17]}" in result.output
    assert wrong not in result.output                      # masked on screen
    assert check_ins(ws) == []


def test_roster_less_checkin_makes_the_code_the_subject(bare: Path) -> None:
    first = checkin(bare, "CJM7Q2K9A")
    assert first["matched_by"] == "scan" and first["subject"]["code"] == "CJM7Q2K9A"
    assert first["subject"]["source"] == "scan"
    by_id = checkin(bare, ID_X.lower())
    # the ID number is the subject's code: shown masked, stored in full
    assert by_id["subject"]["code"] == ID_X[:6] + "********" + ID_X[-4:] and by_id["shoot_no"] == 2
    with Store.open(bare) as store:
        assert store.find_subject("code", ID_X) is not None
        assert not store.has_roster()
        assert store.find_subject("id_number", ID_X) is not None
        assert store.find_subject("collect_code", "CJM7Q2K9A") is not None


def test_roster_less_college_comes_from_the_option(bare: Path) -> None:
    got = run(bare, "checkin", "CJ1", "--college", "商学院", "--json")
    assert got.exit_code == 0
    assert json.loads(got.stdout)["subject"]["college"] == "商学院"


def test_shooting_numbers_follow_checkin_order_and_rescan_keeps_its_number(rostered: Path) -> None:
    assert checkin(rostered, "2017003")["shoot_no"] == 1
    assert checkin(rostered, "2017001")["shoot_no"] == 2
    again = checkin(rostered, "2017001")                    # a re-scan of the bound student
    assert again["shoot_no"] == 2 and again["repeated"] is True
    assert checkin(rostered, ID_A)["shoot_no"] == 3
    back = checkin(rostered, "CJM9S4M1C")                   # first student again, by another key
    assert back["shoot_no"] == 1 and back["repeated"] is True
    assert [n for n, _ in check_ins(rostered)] == [1, 2, 3]   # one check_in event per student


def test_checkin_text_output_masks_the_id_number(rostered: Path) -> None:
    result = run(rostered, "checkin", ID_A)
    assert result.exit_code == 0
    assert ID_A not in result.output and "李四" in result.output and "No. 1" in result.output


def test_logs_never_hold_a_full_id_number_or_name(bare: Path, tmp_path: Path, caplog) -> None:
    import logging
    from station.store.models import CapturedFile
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "roster.csv"
    path.write_text("姓名,身份证号,学院\n张三丰,%s,化学化工学院\n李四光,%s,化学化工学院\n" % (ID_X, ID_A),
                    encoding="utf-8")                       # no student numbers: the ID numbers are the codes
    assert run(bare, "--debug", "roster", "import", str(path)).exit_code == 0
    assert run(bare, "--debug", "checkin", ID_A.lower()).exit_code == 0
    with Store.open(bare) as store:
        subject = store.find_subject("id_number", ID_A)
        take = store.record_capture([CapturedFile(b"jpeg")], subject_id=subject.id, source="trigger")
        from station.store.models import describe_subject
        logging.getLogger("test").info("bound: %s", describe_subject(subject))
    assert ID_A not in take.primary.file and ID_A[:6] in take.primary.file   # file names go into logs too
    (bare / take.primary.file).with_name("stray.jpg").write_bytes(b"x")
    (bare / take.primary.file).unlink()                     # "missing" is logged with the file name
    assert run(bare, "--debug", "status").exit_code == 0
    text = caplog.text
    assert "take 1 stored" in text and "orphan original" in text and "roster roster.csv imported" in text
    assert "journalled original missing" in text
    for secret in (ID_X, ID_A, ID_A.lower(), "张三丰", "李四光"):
        assert secret not in text, secret
