"""Schedule import from the real 拍摄日程表 tables of the school notices, and college_at."""
from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli.main import cli
from station.session.schedule import ScheduleError, college_at, load_slots, parse_schedule, parse_window
from station.store.clock import FixedClock
from station.store.workspace import Store

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def _seed(prefix: str) -> str:
    found = sorted(SEEDS.glob(prefix + "_*.txt"))
    if not found:
        pytest.skip(f"school notice {prefix} not found in {SEEDS}")
    return found[0].read_text(encoding="utf-8")


def csv_from_notice_000(path: Path) -> Path:
    """The 000 notice lists each row as four indented lines (批次, 单位, 起止时间, 拍摄地点)."""
    text = _seed("000")
    table = text[text.index("拍摄日程表\n"):]
    cells = [line.strip() for line in table.splitlines()[1:] if line.startswith("\t") and line.strip()]
    start = cells.index("拍摄地点") + 1
    header = ["批次", "单    位", "起  止  时  间", "拍摄地点"]
    body = cells[start:]
    rows = [body[i:i + 4] for i in range(0, len(body) - len(body) % 4, 4)]
    assert all(r[0].isdigit() for r in rows), rows
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def tsv_from_notice_001(path: Path) -> Path:
    """The 001 notice has a tab-separated table: 批次 系 部 起 止 时 间 拍摄地点."""
    lines = [l for l in _seed("001").splitlines() if l.count("\t") == 3]
    assert lines[0].startswith("批次")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def store(workspace: Path) -> Store:
    """The workspace's store on a clock fixed at noon today: no test here can cross midnight."""
    assert CliRunner().invoke(cli, ["init", "--room", "四教楼102"]).exit_code == 0
    s = Store.open(workspace, clock=FixedClock(datetime.now().replace(hour=12, minute=0, second=0)))
    yield s
    s.close()


def test_notice_000_all_rows_with_afternoon_hours(tmp_path: Path) -> None:
    slots = parse_schedule(csv_from_notice_000(tmp_path / "s.csv"), year=2020)
    assert len(slots) == 22
    first = slots[0]
    assert (first.college, first.room) == ("化学化工学院", "四教楼102")
    assert (first.start, first.end) == (datetime(2020, 12, 18, 8, 15), datetime(2020, 12, 18, 11, 30))
    marx = next(s for s in slots if s.college == "马克思主义学院")
    assert (marx.start.hour, marx.end.hour, marx.end.minute) == (14, 14, 30)     # 下午2:00-2:30


def test_notice_001_tab_separated_with_spaced_rooms(tmp_path: Path) -> None:
    slots = parse_schedule(tsv_from_notice_001(tmp_path / "s.tsv"), year=2025)
    assert len(slots) == 11
    pe = next(s for s in slots if s.college == "体育系")
    assert (pe.room, pe.start, pe.end) == ("九教 109", datetime(2025, 4, 12, 16, 40), datetime(2025, 4, 12, 17, 30))


def test_cli_import_then_college_at_by_room_and_time(store: Store, tmp_path: Path) -> None:
    path = csv_from_notice_000(tmp_path / "s.csv")
    result = CliRunner().invoke(cli, ["schedule", "import", str(path), "--year", "2020", "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["slots"]) == 22
    assert college_at(store, "四教楼102", datetime(2020, 12, 18, 9, 0)) == "化学化工学院"
    assert college_at(store, "四教楼 102", datetime(2020, 12, 18, 14, 10)) == "马克思主义学院"
    assert college_at(store, "四教楼106", datetime(2020, 12, 18, 10, 50)) == "生命科学学院"   # start inclusive
    assert college_at(store, "四教楼106", datetime(2020, 12, 18, 10, 49)) == "人文学院"
    assert college_at(store, "四教楼102", datetime(2020, 12, 18, 12, 0)) is None            # lunch
    assert college_at(store, "", datetime(2020, 12, 18, 9, 0)) is None                      # 3 rooms: ambiguous
    events = store.conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'schedule'").fetchone()[0]
    assert events == 1


def test_reimport_replaces_and_current_college_uses_schedule(store: Store, tmp_path: Path) -> None:
    from station.session.college import current_college
    path = tmp_path / "today.csv"
    today = store.clock.now()
    path.write_text("批次,学院,日期,开始,结束,拍摄地点\n"
                    f"1,法学院,{today:%Y-%m-%d},00:00,23:59,四教楼102\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["schedule", "import", str(csv_from_notice_000(tmp_path / "old.csv")),
                               "--year", "2020"]).exit_code == 0
    assert runner.invoke(cli, ["schedule", "import", str(path)]).exit_code == 0
    assert [s.college for s in load_slots(store)] == ["法学院"]
    assert current_college(store) == "法学院"
    # a hand setting wins over the schedule
    out = runner.invoke(cli, ["college", "文学院"])
    assert out.exit_code == 0 and "文学院" in out.output
    assert current_college(store) == "文学院"
    assert runner.invoke(cli, ["college"]).output.strip() == "文学院"


def test_xlsx_with_merged_cells_carries_room_and_date(store: Store, tmp_path: Path) -> None:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["各学院图像采集时间安排表"])
    ws.append(["拍摄地点", "日期", "拍摄时间", "学院名称"])
    ws.append(["景德楼 201 教室", "2019 年 11 月 24 日 (周日)", "8:30—9:30", "法学院"])
    ws.append(["", "", "9:30—10:30", "文学院、国汉院"])
    ws.append(["", "", "13:00—14:00", "公管院"])
    path = tmp_path / "s.xlsx"
    wb.save(path)
    slots = parse_schedule(path)
    assert [(s.college, s.room, s.start.hour) for s in slots] == [
        ("法学院", "景德楼 201 教室", 8), ("文学院", "景德楼 201 教室", 9), ("国汉院", "景德楼 201 教室", 9),
        ("公管院", "景德楼 201 教室", 13)]
    assert slots[0].start.year == 2019


def test_bad_row_refuses_the_whole_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("批次,单位,起止时间,拍摄地点\n1,法学院,12月18日上午8:15-11:30,A\n2,文学院,sometime,A\n",
                    encoding="utf-8")
    with pytest.raises(ScheduleError, match="row 3"):
        parse_schedule(path)
    result = CliRunner().invoke(cli, ["schedule", "import", str(path)])
    assert result.exit_code == 1 and "row 3" in result.output
    assert load_slots(store) == []


@pytest.mark.parametrize("text, expected", [
    ("12月18日上午8:15-11:30", ((8, 15), (11, 30))),
    ("12月18日下午2:00-5:30", ((14, 0), (17, 30))),
    ("4月12日16:40-17:30", ((16, 40), (17, 30))),
    ("12月18日中午12:00-1:30", ((12, 0), (13, 30))),
    ("2019年11月24日 8:30—9:30", ((8, 30), (9, 30))),
])
def test_windows(text: str, expected: tuple) -> None:
    start, end = parse_window(text, None, 2020)
    assert ((start.hour, start.minute), (end.hour, end.minute)) == expected


def test_roster_less_scan_is_recorded_with_the_scheduled_college(store: Store, tmp_path: Path) -> None:
    from station.session.actions import Session
    now = store.clock.now()
    path = tmp_path / "today.csv"
    path.write_text("批次,单位,起止时间,拍摄地点\n"
                    f"1,外国语学院,{now.month}月{now.day}日0:00-23:59,四教楼 102\n"
                    f"2,商学院,{now.month}月{now.day}日0:00-23:59,四教楼106\n", encoding="utf-8")
    assert CliRunner().invoke(cli, ["schedule", "import", str(path), "--year", str(now.year)]).exit_code == 0
    outcome = Session(store).scan("QR-COLLECT-0001")
    assert outcome.college == "外国语学院"
    assert store.find_subject("code", "QR-COLLECT-0001").college == "外国语学院"
    row = store.conn.execute("SELECT json_extract(data, '$.college') FROM events WHERE kind = 'check_in'").fetchone()
    assert row[0] == "外国语学院"
