"""Walk-ins (现场补录): a student missing from the roster is checked in with a name and a college, photographed,
and kept as a walk-in in every output, named in files by the student number or an opaque code, never by the
full ID number."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from station.cli.main import cli
from workspace_factory import id_number, new_workspace, roster_rows

pytestmark = pytest.mark.usefixtures("english")

CARD = id_number(777)


def run(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-w", str(ws), *args], catch_exceptions=False)


def ok(ws: Path, *args: str) -> str:
    result = run(ws, *args)
    assert result.exit_code == 0, (args, result.output)
    return result.output


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("walkin")
    ws = root / "ws"
    store = new_workspace(ws)
    store.upsert_subjects(roster_rows(3), source_file="roster.xlsx")
    store.close()
    first = json.loads(ok(ws, "checkin", CARD, "--walk-in", "--name", "赵补录", "--college", "计算机学院",
                          "--class", "计算1班", "--json"))
    ok(ws, "capture", "--camera", "virtual")
    ok(ws, "accept")
    second = json.loads(ok(ws, "checkin", "2021999001", "--walk-in", "--name", "钱补录", "--college", "外国语学院",
                           "--json"))
    ok(ws, "capture", "--camera", "virtual")
    ok(ws, "accept")
    ok(ws, "checkin", "2019000001")
    ok(ws, "capture", "--camera", "virtual")
    ok(ws, "accept")
    out = root / "out"
    ok(ws, "export", str(out))
    return {"ws": ws, "out": out, "first": first, "second": second}


def test_walk_in_is_checked_in_with_a_number_and_a_warning(day: dict) -> None:
    first, second = day["first"], day["second"]
    assert first["walk_in"] and first["shoot_no"] == 1 and first["bound"]
    assert first["subject"]["name"] == "赵补录" and first["subject"]["college"] == "计算机学院"
    assert first["subject"]["id_number"] != CARD and CARD not in json.dumps(first)      # masked
    assert any("walk-in" in w or "现场补录" in w for w in first["warnings"])
    assert second["subject"]["student_no"] == "2021999001" and second["shoot_no"] == 2


def test_walk_in_refusals(day: dict) -> None:
    ws = day["ws"]
    known = run(ws, "checkin", "2019000002", "--walk-in", "--name", "王", "--college", "计算机学院")
    assert known.exit_code == 1 and "not a walk-in" in known.output and "without --walk-in" in known.output
    wrong = CARD[:-1] + ("0" if CARD[-1] != "0" else "1")
    bad = run(ws, "checkin", wrong, "--walk-in", "--name", "王", "--college", "计算机学院")
    assert bad.exit_code == 1 and "check digit" in bad.output
    assert run(ws, "checkin", "2021999002", "--walk-in", "--name", "王").exit_code == 2      # no college
    assert run(ws, "checkin", "2019000002", "--name", "王").exit_code == 2                  # --name alone
    again = json.loads(ok(ws, "checkin", CARD, "--walk-in", "--name", "赵补录", "--college", "计算机学院",
                          "--json"))
    assert again["shoot_no"] == 1 and again["repeated"]                  # the same walk-in, the same number


def test_export_names_walk_ins_without_their_id_number_and_marks_them(day: dict) -> None:
    files = sorted(p.name for p in day["out"].rglob("*.jpg"))
    assert files == ["2019000001.jpg", "2021999001.jpg", "WALKIN-S1-0001.jpg"]
    for manifest in day["out"].glob("*/manifest.csv"):
        text = manifest.read_text("utf-8-sig")
        assert CARD not in text
        rows = list(csv.DictReader(io.StringIO(text)))
        marks = {r["文件名"]: r.get("现场补录", "") for r in rows}
        for name, mark in marks.items():
            assert bool(mark) == (name != "2019000001.jpg"), (name, mark)


def test_report_and_signoff_show_walk_ins(day: dict) -> None:
    data = json.loads(ok(day["ws"], "report", "--format", "json"))
    walk_ins = {s["name"] for s in data["students"] if s["walk_in"]}
    assert walk_ins == {"赵补录", "钱补录"}
    assert all(not s["in_roster"] for s in data["students"] if s["walk_in"])
    assert {r["name"]: r["walk_in"] for r in data["signoff"]} == {"赵补录": True, "钱补录": True, "王同学0": False}
    text = ok(day["ws"], "report")
    assert text.count("walk-in (not on the roster)") >= 4             # accepted list and sign-off sheet
    assert CARD not in text and CARD not in ok(day["ws"], "report", "--format", "csv")


def test_the_console_and_the_controller_check_a_walk_in_in(tmp_path: Path) -> None:
    from station.console.actions import ActionError, event_for
    from station.session import triggers as t
    from station.session.runtime import StationRuntime
    body = {"type": "walk_in", "code": " 2021999007 ", "name": "孙补录", "college": "法学院", "class": "法学1班"}
    event = event_for(body, at=2.0)
    assert event == t.WalkIn("2021999007", "孙补录", "法学院", "法学1班", at=2.0)
    assert event_for({**body, "desk": True}, at=1).queue is True
    with pytest.raises(ActionError):
        event_for({**body, "college": " "}, at=1)
    ws = tmp_path / "ws"
    new_workspace(ws).close()
    with StationRuntime.open(ws, "virtual", operator="wang", poll_seconds=0.05) as rt:
        outcome = rt.submit(event).result(30)
        assert outcome.ok, outcome
        assert any("walk-in" in w or "现场补录" in w for w in outcome.warnings)
    from station.store.workspace import Store
    with Store.open(ws) as store:
        bound = store.bound_subject()
        assert bound is not None and (bound.name, bound.source, bound.in_roster) == ("孙补录", "walk-in", False)


def test_a_walk_in_scanned_later_at_a_station_without_roster_is_the_same_person(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    new_workspace(ws).close()
    first = json.loads(ok(ws, "checkin", CARD, "--walk-in", "--name", "赵补录", "--college", "计算机学院", "--json"))
    ok(ws, "skip")
    again = json.loads(ok(ws, "checkin", CARD, "--json"))
    assert again["subject"]["code"] == first["subject"]["code"] and again["shoot_no"] == first["shoot_no"]
    assert again["subject"]["source"] == "walk-in"
