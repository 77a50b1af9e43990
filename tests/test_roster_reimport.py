"""A re-import never moves a photo silently: through the real CLI into a real workspace with real takes.

A row that keeps a student's ID number under another student number and name (or another college) would
re-identify the photos already taken of them; the export would file them under the new name. Such a row
is refused, naming the row and the takes, unless the operator confirms with --allow-changes, which is
journalled (one roster_change event per student).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.store.kinds import EventKind
from station.store.models import CapturedFile
from station.store.workspace import Store
from test_roster_import import ID1, ID2, ROWS, write_csv
from workspace_factory import run_cli as run

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    assert run(workspace, "init").exit_code == 0
    assert run(workspace, "roster", "import", str(write_csv(tmp_path / "v1.csv", ROWS))).exit_code == 0
    with Store.open(workspace) as store:                 # 李四 (2017002) has two takes, one of them accepted
        li = store.find_subject("student_no", "2017002")
        for n in range(2):
            photo = b"\xff\xd8" + f"photo {n} of li si".encode() * 100 + b"\xff\xd9"
            store.record_capture([CapturedFile(photo, "jpeg", f"IMG_000{n}.JPG")], subject_id=li.id,
                                 source="trigger")
    return workspace


def li(ws: Path):  # type: ignore[no-untyped-def]
    with Store.open(ws) as store:
        return store.subject(store.find_subject("id_number", ID2).id)


def changes_journalled(ws: Path) -> list[dict]:
    with Store.open(ws) as store:
        return [json.loads(r[0]) for r in store.conn.execute(
            "SELECT data FROM events WHERE kind = ? ORDER BY id", (EventKind.ROSTER_CHANGE,))]


def test_a_row_re_identifying_a_student_with_takes_is_refused_naming_row_and_takes(ws: Path, tmp_path: Path) -> None:
    rows = [r[:] for r in ROWS]
    rows[1][0], rows[1][1] = "2017099", "李思"            # same ID number, another student number and name
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "v2.csv", rows)))
    assert result.exit_code == 1
    assert "row 3: changes student number 2017002 -> 2017099, name 李四 -> 李思 of 2017002" in result.output
    assert "already has takes 1, 2" in result.output and "--allow-changes" in result.output
    assert (li(ws).student_no, li(ws).name) == ("2017002", "李四")
    assert changes_journalled(ws) == []


def test_a_college_change_is_refused_too_and_other_updates_still_pass(ws: Path, tmp_path: Path) -> None:
    rows = [r[:] for r in ROWS]
    rows[1][4] = "土木工程学院"                              # 李四 moved to another college
    refused = run(ws, "roster", "import", str(write_csv(tmp_path / "v2.csv", rows)))
    assert refused.exit_code == 1 and "college 化学化工学院 -> 土木工程学院" in refused.output
    rows = [r[:] for r in ROWS]
    rows[1][6] = "化学1702"                                 # a class correction is not an identity change
    assert run(ws, "roster", "import", str(write_csv(tmp_path / "v3.csv", rows))).exit_code == 0
    assert li(ws).class_name == "化学1702"


def test_allow_changes_applies_them_and_journals_each(ws: Path, tmp_path: Path) -> None:
    rows = [r[:] for r in ROWS]
    rows[1][0], rows[1][1] = "2017099", "李思"
    path = write_csv(tmp_path / "v2.csv", rows)
    dry = run(ws, "roster", "import", str(path), "--allow-changes", "--dry-run")
    assert dry.exit_code == 0 and changes_journalled(ws) == []
    result = run(ws, "roster", "import", str(path), "--allow-changes")
    assert result.exit_code == 0, result.output
    assert "confirmed with --allow-changes, journalled" in result.output
    assert (li(ws).student_no, li(ws).name) == ("2017099", "李思")
    [event] = changes_journalled(ws)
    assert event["takes"] == [1, 2] and event["fields"]["name"] == ["李四", "李思"]
    assert event["fields"]["student_no"] == ["2017002", "2017099"]


def test_students_without_takes_update_freely(ws: Path, tmp_path: Path) -> None:
    rows = [r[:] for r in ROWS]
    rows[0][1] = "张叁"                                     # 张三 has no takes: a plain update
    result = run(ws, "roster", "import", str(write_csv(tmp_path / "v2.csv", rows)))
    assert result.exit_code == 0, result.output
    with Store.open(ws) as store:
        assert store.find_subject("id_number", ID1).name == "张叁"
