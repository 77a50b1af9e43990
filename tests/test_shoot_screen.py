"""The terminal shoot screen (issue 25 item 5, terminal part): Chinese first, and on an 80x24 terminal the bound
student, the 拍摄号 and the verdict are always on screen — however many messages there are, with a prompt open —
the verdict as a wide band, the measures as words with units. Drawn by the real ShootApp into a buffer."""
from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from pipeline.synthetic import portrait
from station.session.station import Station
from station.tui.app import ShootApp
from station.tui.keys import KeyEvent
from workspace_factory import new_workspace, roster_rows

pytestmark = pytest.mark.usefixtures("english")


def test_an_80x24_screen_keeps_the_student_the_number_and_the_verdict_in_view(workspace: Path,
                                                                               tmp_path: Path) -> None:
    store = new_workspace(workspace, college="计算机科学与工程学院")
    rows = roster_rows(3)
    rows[0]["paid"] = False
    store.upsert_subjects(rows, source_file="roster.csv")
    store.close()
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "000.jpg").write_bytes(portrait(41, flaw="eyes_closed").jpeg)
    station = Station.open(workspace, f"virtual:{feed}")
    out = io.StringIO()
    try:
        app = ShootApp(station.session, station.camera, trigger="key", queue_mode=False,
                       console=Console(file=out, width=80, height=24, color_system=None),
                       controller=station.controller)
        app.handle(KeyEvent("scan", "2019000001", time.monotonic()))
        app.handle(KeyEvent("key", "space", time.monotonic()))
        for n in range(12):                                # a busy station: many lines to say
            station.controller.say("warn", "held key {key} ignored (press it once)", key=repr(str(n)))
        app.handle(KeyEvent("key", "r", time.monotonic() + 1))        # a prompt is open too
        out.truncate(0)
        out.seek(0)
        app.redraw()
        screen = out.getvalue().replace("\x1b[H\x1b[2J", "")
    finally:
        station.close()
    lines = screen.split("\n")
    assert len(lines) <= 24 and all(cell_len(line) <= 80 for line in lines)
    assert lines[0].startswith(" 采集站")                  # Chinese first, header on top (not scrolled away)
    assert "当前学生" in screen and "No. 1" in screen and "2019000001" in screen
    assert "██" in screen                                  # the 拍摄号 in big digits
    assert "未缴费 NOT PAID" in screen
    assert "不合格 FAIL" in screen and "第 1 张" in screen and "待决定" in screen
    assert "眼睛闭合" in screen                             # the reason, Chinese first
    assert "头顶" in screen and "px" in screen             # measures as words with units
    assert "拍摄 空格" in screen and "r 重拍" in screen     # the keys, Chinese
    assert "reject take 1" in screen                       # the open prompt is the last line
    assert "'11'" in screen                                # the newest message is shown


def test_a_joined_station_whose_hub_is_down_says_so_on_the_shoot_screen(workspace: Path, tmp_path: Path) -> None:
    """Issue 23 item 2: the status line says the hub cannot be reached and how much waits, Chinese first."""
    import hub_support as hs
    from station.hub import server
    store = new_workspace(workspace, college="计算机科学与工程学院")
    store.upsert_subjects(roster_rows(3), source_file="roster.csv")
    store.close()
    hs.join(workspace, server.prepare(tmp_path / "nohub", listen=f"127.0.0.1:{hs.free_port()}"))   # never started
    station = Station.open(workspace, "virtual")
    out = io.StringIO()
    try:
        app = ShootApp(station.session, station.camera, trigger="key", queue_mode=False,
                       console=Console(file=out, width=160, height=24, color_system=None),
                       controller=station.controller)
        app.handle(KeyEvent("scan", "2019000001", time.monotonic()))
        out.truncate(0)
        out.seek(0)
        app.redraw()
        screen = out.getvalue()
    finally:
        station.close()
    status = next(line for line in screen.split("\n") if line.startswith("相机"))
    assert "中心：无法连接" in status and "hub: unreachable" in status
    assert status.index("中心") < status.index("hub:")                  # Chinese first



def test_a_walk_in_bound_at_the_chair_is_marked_on_the_shoot_screen(workspace: Path) -> None:
    from station.session.triggers import WalkIn
    store = new_workspace(workspace, college="计算机科学与工程学院")
    store.upsert_subjects(roster_rows(3), source_file="roster.csv")
    store.close()
    station = Station.open(workspace, "virtual")
    out = io.StringIO()
    try:
        assert station.controller.handle(WalkIn("2021888001", "补录同学", "外国语学院", queue=False)).ok
        app = ShootApp(station.session, station.camera, trigger="key", queue_mode=False,
                       console=Console(file=out, width=100, height=24, color_system=None),
                       controller=station.controller)
        app.redraw()
        screen = out.getvalue()
    finally:
        station.close()
    title = next(line for line in screen.split("\n") if "当前学生" in line)
    assert "补录同学" in title and "现场补录 WALK-IN" in title
