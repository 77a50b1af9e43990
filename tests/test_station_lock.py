"""One interactive station per workspace (issue 20 item 2): the second `shoot` / `console` refuses naming the
holder, a holder killed with kill -9 leaves a lock the next start takes over, one-shot commands work beside a
running station, and a decision about a take the screen showed is never applied to another take.

Two real processes where two processes meet: the holder is a child Python process (or a real `station console`),
killed by pid."""
from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli.main import cli
from station.session.lock import INFO_FILE, LOCK_FILE, WorkspaceBusy
from station.session.station import Station
from station.session.triggers import Accept, Reject, Scan, Shoot, Void
from workspace_factory import roster_workspace

pytestmark = pytest.mark.usefixtures("english")

ROOT = Path(__file__).resolve().parents[1]

HOLDER = """
import sys, time
from pathlib import Path
from station.session.station import Station
station = Station.open(Path(sys.argv[1]), None, kind=sys.argv[2])
print("ready", flush=True)
time.sleep(600)
"""


@pytest.fixture
def ws(workspace: Path) -> Path:
    return roster_workspace(workspace)


def hold(ws: Path, kind: str = "shoot") -> subprocess.Popen[str]:
    """A second process holding the workspace, as `station shoot` would."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(ws), kind], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = proc.stdout.readline() if proc.stdout else ""
    assert line.strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return proc


def kill9(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def test_a_second_station_refuses_naming_the_holder_and_takes_over_after_kill_9(ws: Path) -> None:
    proc = hold(ws, "shoot")
    try:
        info = ws / INFO_FILE
        assert stat.S_IMODE(info.stat().st_mode) == 0o600 and stat.S_IMODE((ws / LOCK_FILE).stat().st_mode) == 0o600
        with pytest.raises(WorkspaceBusy) as refused:
            Station.open(ws, None, kind="console")
        text = str(refused.value)
        assert f"pid {proc.pid}" in text and "station shoot" in text and "since 20" in text
        # one-shot commands keep working beside the running station, through the journal
        done = CliRunner().invoke(cli, ["checkin", "2019000001"])
        assert done.exit_code == 0, done.output
        status = CliRunner().invoke(cli, ["status"])
        assert status.exit_code == 0 and f"interactive station running: station shoot (pid {proc.pid}" in status.output
    finally:
        kill9(proc)
    station = Station.open(ws, None, kind="shoot")            # the kernel dropped the dead holder's lock
    try:
        said = " ".join(m.en for m in station.controller.messages)
        assert "ended without closing" in said and f"pid {proc.pid}" in said
        assert station.session.bound() is not None               # the desk's check-in is there
    finally:
        station.close()
    assert not (ws / INFO_FILE).exists()                        # a clean close leaves no holder behind
    assert "interactive station running" not in CliRunner().invoke(cli, ["status"]).output
    again = Station.open(ws, None)
    assert not any("ended without closing" in m.en for m in again.controller.messages)
    again.close()


def test_the_second_console_refuses_with_the_first_ones_pid_and_address(ws: Path) -> None:
    first = subprocess.Popen([sys.executable, "-m", "station.cli.main", "--lang", "en", "console", "--no-open",
                              "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT), "STATION_WORKSPACE": str(ws)})
    try:
        url = ""
        deadline = time.monotonic() + 120
        while not url and time.monotonic() < deadline:
            line = first.stdout.readline() if first.stdout else ""
            if not line:
                break
            found = re.search(r"station console: (http://\S+)", line)
            url = found.group(1) if found else ""
        assert url, first.stderr.read() if first.stderr else ""
        second = subprocess.run([sys.executable, "-m", "station.cli.main", "--lang", "en", "console", "--no-open",
                                 "--port", "0"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(ROOT), "STATION_WORKSPACE": str(ws)})
        assert second.returncode != 0
        said = second.stdout + second.stderr
        assert f"pid {first.pid}" in said and "station console" in said and url in said, said
        assert "Traceback" not in said
    finally:
        kill9(first)


def test_a_decision_names_the_take_the_screen_showed(ws: Path) -> None:
    """Window 2 showed take 1 (张伟's); another terminal shot take 2 since: `a` is refused naming both, and
    take 2 is not accepted."""
    station = Station.open(ws, "virtual")
    try:
        ctl = station.controller
        assert ctl.handle(Scan("2019000001")).ok
        assert ctl.handle(Shoot()).ok
        shown = ctl.snapshot().last_take.take_id
        assert ctl.handle(Shoot()).ok                      # the journal moves on: take 2
        latest = ctl.store.last_take().id
        assert latest != shown
        for decision in (Accept(shown, override="ok", shown=True), Reject(shown, "x", shown=True),
                         Void(shown, "x", shown=True)):
            out = ctl.handle(decision)
            assert out.status == "refused"
            assert f"take {shown} was on the screen" in out.message.en and f"take {latest} is the latest" in out.message.en
        assert ctl.store.take(shown).decision is None and ctl.store.take(latest).decision is None
        # a screen that showed no take never decides one it did not show
        out = ctl.handle(Accept(None, shown=True))
        assert out.status == "refused" and f"take {latest}" in out.message.en
        assert ctl.store.take(latest).decision is None
        # the take on screen now is decided
        assert ctl.handle(Accept(latest, override="ok", shown=True)).ok
        assert ctl.store.take(latest).decision == "accept"
    finally:
        station.close()


def test_the_terminal_decides_on_the_take_it_drew_while_a_capture_runs_beside_it(ws: Path) -> None:
    """`station shoot` drew take 1; `station capture` from another terminal shoots take 2 for the same student;
    `a` before the screen is redrawn is refused naming both, and take 2 is not accepted unseen."""
    import io
    from rich.console import Console
    from station.tui.app import ShootApp
    from station.tui.keys import KeyEvent
    station = Station.open(ws, "virtual")
    try:
        app = ShootApp(station.session, station.camera, trigger="key", queue_mode=False,
                       console=Console(file=io.StringIO(), width=160, color_system=None),
                       controller=station.controller)
        app.handle(KeyEvent("scan", "2019000001", time.monotonic()))
        app.handle(KeyEvent("key", "space", time.monotonic()))
        app.redraw()
        drawn = app.shown.last_take.take_id
        beside = CliRunner().invoke(cli, ["capture", "--camera", "virtual", "--json"])
        assert beside.exit_code == 0, beside.output
        latest = station.store.last_take().id
        assert latest != drawn
        app.handle(KeyEvent("key", "a", time.monotonic() + 1))
        said = station.controller.messages[-1].en
        assert f"take {drawn} was on the screen" in said and f"take {latest} is the latest" in said
        assert station.store.take(latest).decision is None and station.store.take(drawn).decision is None
        app.redraw()                                      # the screen catches up: now `a` decides take 2
        app.handle(KeyEvent("key", "a", time.monotonic() + 2))
        assert station.store.take(latest).decision == "accept" or "override" in station.controller.messages[-1].en
    finally:
        station.close()
