"""Restart finishes what a crash left (issue 20 item 3): a take killed before its verdict is judged at start and
cannot be accepted before; a binding ends with its day; a clock set back across a day is said, not numbered
again from 1. Time moves with the injected clock (station.store.clock.FixedClock), never by sleeping."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli.main import cli
from station.core.errors import SessionError
from station.session.actions import Session
from station.session.station import Station
from station.session.triggers import Scan, Shoot
from station.store.clock import FixedClock
from station.store.workspace import Store
from workspace_factory import roster_workspace

pytestmark = pytest.mark.usefixtures("english")

ROOT = Path(__file__).resolve().parents[1]

#: a station killed (SIGKILL, by itself) right after the frame is journalled, before the pipeline judges it
KILLED_BEFORE_VERDICT = """
import os, signal, sys
from pathlib import Path
from pipeline.synthetic import portrait
from station.session.actions import Session
from station.store.models import CapturedFile
from station.store.workspace import Store
store = Store.open(Path(sys.argv[1]))
session = Session(store)
subject = session.scan("2019000001").subject
store.record_capture([CapturedFile(portrait(7).jpeg, "jpeg", "DSC_0001.JPG")], subject_id=subject.id,
                     source="trigger")
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def ws(workspace: Path) -> Path:
    return roster_workspace(workspace)


def test_a_take_killed_before_its_verdict_is_judged_at_start_and_not_accepted_before(ws: Path) -> None:
    child = subprocess.run([sys.executable, "-c", KILLED_BEFORE_VERDICT, str(ws)], cwd=ROOT, capture_output=True,
                           text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == -signal.SIGKILL, child.stderr
    with Store.open(ws) as store:
        (take,) = store.takes()
        assert take.verdict is None and take.decision is None
    refused = CliRunner().invoke(cli, ["accept", str(take.id), "--override", "looks fine to me"])
    assert refused.exit_code == 1 and "not checked yet" in refused.output
    with Store.open(ws) as store:
        assert store.take(take.id).decision is None
    station = Station.open(ws, None)
    try:
        judged = station.store.take(take.id)
        assert judged.verdict is not None and judged.verdict.ok is not None
        said = " ".join(m.en for m in station.controller.messages)
        assert f"take {take.id}" in said and "left without a verdict" in said
        assert station.controller.snapshot().last_take.status in ("pass", "fail")
    finally:
        station.close()
    accepted = CliRunner().invoke(cli, ["accept", str(take.id), "--override", "checked at restart"])
    assert accepted.exit_code == 0, accepted.output


def test_a_binding_ends_with_its_day_at_restart_and_while_running(ws: Path) -> None:
    clock = FixedClock(datetime(2026, 6, 18, 17, 55))
    with Store.open(ws, clock=clock) as store:
        Session(store).scan("2019000001")                 # checked in at 17:55, nobody shoots
    clock.at = datetime(2026, 6, 19, 8, 0).astimezone()
    station = Station.open(ws, "virtual", clock=clock)
    try:
        ctl = station.controller
        said = " ".join(m.en for m in ctl.messages)
        assert "from 2026-06-18 ended with its day" in said
        assert ctl.snapshot().bound is None
        out = ctl.handle(Shoot())
        assert out.status == "refused" and "NO SCAN, NO SHOT" in out.message.en
        assert ctl.store.take_count() == 0
        # bound again today; the station stays up over the night: at midnight the binding ends too
        assert ctl.handle(Scan("2019000002")).ok
        clock.advance(hours=16, minutes=30)               # 00:30 the next day
        assert ctl.tick()
        assert ctl.snapshot().bound is None
        assert "ended with its day" in ctl.messages[-1].en
        assert ctl.handle(Shoot()).status == "refused" and ctl.store.take_count() == 0
    finally:
        station.close()


def test_a_clock_set_back_a_day_refuses_to_number_again_from_one(ws: Path) -> None:
    clock = FixedClock(datetime(2026, 6, 19, 10, 0))
    station = Station.open(ws, None, clock=clock)
    try:
        ctl = station.controller
        assert ctl.handle(Scan("2019000001")).ok and ctl.handle(Scan("2019000002")).ok
        clock.advance(days=-1)
        out = ctl.handle(Scan("2019000003"))
        assert out.status == "refused" and "clock has gone backwards" in out.message.en
        assert "2026-06-18" in out.message.en and "2026-06-19" in out.message.en
        with pytest.raises(SessionError):
            Session(ctl.store).scan("2019000004")
        numbers = [c.shoot_no for c in ctl.store.check_ins()]
        assert numbers == [1, 2]                          # nobody got a second No. 1
        clock.advance(days=1)
        assert ctl.handle(Scan("2019000003")).ok
        assert ctl.session.shoot_no(ctl.store.subject(ctl.store.bound_subject_id())) == 3
    finally:
        station.close()
    clock.at = datetime(2026, 6, 18, 9, 0).astimezone()  # and a restart with the clock behind says so at once
    again = Station.open(ws, None, clock=clock)
    try:
        assert any("clock has gone backwards" in m.en for m in again.controller.messages)
    finally:
        again.close()
