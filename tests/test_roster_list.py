"""`station roster list`: status and shooting numbers per student, filters, ID numbers masked."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.core.idnumber import check_character
from station.store.models import CapturedFile
from station.store.workspace import Store
from workspace_factory import run_cli


def make_id(seq: int) -> str:
    first17 = f"44052420000101{seq:03d}"
    return first17 + check_character(first17)


IDS = [make_id(i) for i in (11, 22, 33, 44)]
ROSTER = ("学号,姓名,身份证号,学院,班级,缴费\n"
          f"2017001,张三,{IDS[0]},化学化工学院,化学1701,是\n"
          f"2017002,李四,{IDS[1]},化学化工学院,化学1701,是\n"
          f"2017003,王五,{IDS[2]},土木工程学院,土木1701,否\n"
          f"2017004,赵六,{IDS[3]},土木工程学院,土木1701,是\n")


run = run_cli   # `station -w WS ...`, shared with the other CLI tests

#: the text listing is asserted in English (the source text)
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """Roster of 4: 2017001 accepted, 2017002 shot (pending), 2017003 rejected, 2017004 unshot."""
    ws = tmp_path / "ws"
    assert run(ws, "init").exit_code == 0
    (tmp_path / "r.csv").write_text(ROSTER, encoding="utf-8-sig")
    assert run(ws, "roster", "import", str(tmp_path / "r.csv")).exit_code == 0
    for code in ("2017002", "2017001", "2017003"):
        assert run(ws, "checkin", code).exit_code == 0
    with Store.open(ws) as store:
        def shoot(code: str):
            subject = store.find_subject("code", code)
            return store.record_capture([CapturedFile(b"jpeg " + code.encode())], subject_id=subject.id,
                                        source="trigger")
        store.accept(shoot("2017001").id)
        shoot("2017002")
        store.reject(shoot("2017003").id, reason="eyes closed")
    return ws


def listing(ws: Path, *args: str) -> list[dict]:
    result = run(ws, "roster", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_all_with_status_and_shooting_numbers(ws: Path) -> None:
    rows = {r["code"]: r for r in listing(ws)}
    assert {c: r["status"] for c, r in rows.items()} == {
        "2017001": "accepted", "2017002": "shot", "2017003": "rejected", "2017004": "unshot"}
    assert {c: r["shoot_no"] for c, r in rows.items()} == {
        "2017001": 2, "2017002": 1, "2017003": 3, "2017004": None}
    assert rows["2017001"]["shoot_station"] == "S1"


@pytest.mark.parametrize("status, codes", [("unshot", ["2017004"]), ("shot", ["2017002"]),
                                           ("accepted", ["2017001"]), ("rejected", ["2017003"])])
def test_filter_by_status(ws: Path, status: str, codes: list[str]) -> None:
    assert [r["code"] for r in listing(ws, "--status", status)] == codes


def test_filter_by_college_and_paid(ws: Path) -> None:
    assert [r["code"] for r in listing(ws, "--college", "土木工程学院")] == ["2017003", "2017004"]
    assert [r["code"] for r in listing(ws, "--paid", "no")] == ["2017003"]
    # the refund list: paid and never photographed
    assert [r["code"] for r in listing(ws, "--paid", "yes", "--status", "unshot")] == ["2017004"]


def test_id_numbers_are_masked_in_text_and_json(ws: Path) -> None:
    text = run(ws, "roster", "list")
    assert text.exit_code == 0
    assert "4 students" in text.output and "王五" in text.output
    for id_number in IDS:
        assert id_number not in text.output
        assert id_number[:6] + "********" + id_number[-4:] in text.output
    assert not any(i in run(ws, "roster", "list", "--json").output for i in IDS)


def test_bad_status_is_a_usage_error(ws: Path) -> None:
    assert run(ws, "roster", "list", "--status", "lost").exit_code == 2
