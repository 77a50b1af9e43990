"""The ID-card reader at the chair (issue 24 item 6) and hot-folder refusals on the screens (issue 20 item 7):
the real reader driver on the pty simulator (tests/idcard_sim.py) feeding a station opened by Station.open, as
`station shoot --reader` and `station console --reader` open it; a real hot folder refusing a 201 MB file."""
from __future__ import annotations

import io
import queue
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from rich.console import Console

from idcard_sim import ReaderSim, SimCard
from station.session.runtime import StationRuntime
from station.session.station import Station
from station.tui.view import TerminalState, render
from test_idcard import polls_after
from test_roster_import import make_id
from workspace_factory import new_workspace

pytestmark = pytest.mark.usefixtures("english")

ID_ZHANG, ID_LI = make_id(11), make_id(22)
ZHANG = SimCard(name="张三丰", id_number=ID_ZHANG)
LI_CARD = SimCard(name="李小\u202e红\x1b]0;pwned\x07", id_number=ID_LI, sex_code="2")   # roster: 李晓红
ROSTER = [{"code": "2017001", "student_no": "2017001", "name": "张三丰", "id_number": ID_ZHANG,
           "college": "化学化工学院", "class_name": "化学1701", "paid": True},
          {"code": "2017002", "student_no": "2017002", "name": "李晓红", "id_number": ID_LI,
           "college": "化学化工学院", "class_name": "化学1701", "paid": True}]


@pytest.fixture
def ws(workspace: Path) -> Path:
    with new_workspace(workspace) as store:
        store.upsert_subjects(ROSTER, source_file="roster.xlsx")
    return workspace


def drain(station: Station, inbox: "queue.Queue[Any]", until: Callable[[], bool], timeout: float = 20.0) -> None:
    """What the terminal's loop does: each reader event is handed to the controller in order."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, [m.en for m in station.controller.messages]
        try:
            event, _at = inbox.get(timeout=0.1)
        except queue.Empty:
            continue
        station.controller.handle(event)


def screen(station: Station) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(render(station.controller.snapshot(),
                                                                 TerminalState(("space",), "key")))
    return out.getvalue()


def test_a_swipe_at_the_chair_binds_the_holder_and_the_reader_state_is_on_screen(ws: Path) -> None:
    sim = ReaderSim()
    station = Station.open(ws, None, reader=sim.path)
    inbox: "queue.Queue[Any]" = queue.Queue()
    try:
        station.start_readers(lambda event, at: inbox.put((event, at)))
        snap = lambda: station.controller.snapshot()          # noqa: E731
        drain(station, inbox, lambda: snap().reader is not None and snap().reader.state == "connected")
        assert "读卡器 已连接" in screen(station)
        sim.present(ZHANG)
        drain(station, inbox, lambda: snap().bound is not None)
        assert snap().bound.student_no == "2017001" and snap().bound.shoot_no == 1
        assert snap().reader.state == "card" and "已读卡" in screen(station)
        sim.remove()
        assert sim.wait_until(polls_after(sim, "no_card", 3))  # lifted off: the reader notices
        sim.present(LI_CARD)                                   # another card: the binding moves, names differ
        drain(station, inbox, lambda: snap().bound is not None and snap().bound.student_no == "2017002")
        said = " | ".join(m.en for m in station.controller.messages)
        assert "the ID card says 李小红 but the roster says 李晓红" in said
        shown = screen(station)
        assert "\u202e" not in shown and "\x1b]" not in shown and "\x07" not in shown
        sim.unplug()
        drain(station, inbox, lambda: snap().reader.state == "lost")
        assert "ERROR" in screen(station) and any("reader" in m.en and m.level == "error"
                                                  for m in station.controller.messages)
    finally:
        station.close()
        sim.close()


def test_the_console_runtime_reads_the_card_at_the_chair(ws: Path) -> None:
    sim = ReaderSim()
    try:
        with StationRuntime.open(ws, None, reader=sim.path, poll_seconds=0.05) as rt:
            rt.start_readers()
            sim.present(ZHANG)
            deadline = time.monotonic() + 20
            while rt.snapshot().bound is None:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            snap = rt.snapshot().to_dict()
            assert snap["bound"]["student_no"] == "2017001" and snap["reader"]["state"] == "card"
    finally:
        sim.close()


def test_a_hot_folder_refusal_is_on_the_shoot_screen_and_in_the_snapshot(ws: Path, tmp_path: Path) -> None:
    hot = tmp_path / "hot"
    hot.mkdir()
    station = Station.open(ws, f"hotfolder:{hot}")
    try:
        with open(hot / "DSC_0001.JPG", "wb") as big:       # sparse: 201 MB by its size, nothing written
            big.truncate(201 * 1024 * 1024)
        deadline = time.monotonic() + 20
        while not any("larger than 200 MB" in m.en for m in station.controller.messages):
            assert time.monotonic() < deadline, [m.en for m in station.controller.messages]
            station.controller.tick()
            time.sleep(0.05)
        snap = station.controller.snapshot()
        assert any("larger than 200 MB" in w for w in snap.camera.warnings)
        assert any("DSC_0001.JPG" in m["text"] for m in snap.to_dict()["messages"])
        assert "larger than 200 MB" in screen(station)
        assert station.store.take_count() == 0
    finally:
        station.close()
