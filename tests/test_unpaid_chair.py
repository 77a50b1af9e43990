"""Unpaid at the chair (issue 24 item 4): binding a student the roster says has not paid says 未缴费 before the
shot — by scan, by `next` from the desk queue, in the CLI, on the terminal screen and in the console's
snapshot; with station.toml `[session] unpaid = "block"` the binding needs an operator's reason, journalled."""
from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from station.cli.main import cli
from station.session.station import Station
from station.session.triggers import Next, Scan, Shoot
from station.store.kinds import EventKind
from station.store.workspace import Store
from station.tui.app import ShootApp
from station.tui.keys import KeyEvent
from workspace_factory import new_workspace, roster_rows

pytestmark = pytest.mark.usefixtures("english")

UNPAID = "2019000002"


def make(workspace: Path, *, block: bool = False) -> Path:
    store = new_workspace(workspace)
    rows = roster_rows(4)
    rows[1]["paid"] = False
    store.upsert_subjects(rows, source_file="roster.csv")
    store.close()
    if block:
        toml = workspace / "station.toml"
        text = toml.read_text(encoding="utf-8")
        assert 'unpaid = "warn"' in text
        toml.write_text(text.replace('unpaid = "warn"', 'unpaid = "block"'), encoding="utf-8")
    return workspace


def overrides(ws: Path) -> list[dict]:  # type: ignore[type-arg]
    with Store.open(ws) as store:
        return [dict(json.loads(r["data"]), operator=r["operator"], subject_id=r["subject_id"])
                for r in store.conn.execute("SELECT * FROM events WHERE kind = ?", (EventKind.UNPAID_OVERRIDE,))]


def test_warn_mode_says_not_paid_for_a_scan_and_for_next_on_every_screen(workspace: Path) -> None:
    ws = make(workspace)
    station = Station.open(ws, None, queue_mode=True)
    try:
        ctl = station.controller
        assert ctl.handle(Scan(UNPAID)).ok                 # the desk: queued
        out = ctl.handle(Next())
        assert out.ok and out.warnings                     # bound from the queue: told at once
        said = ctl.messages[-1]
        assert said.level == "error" and "NOT PAID" in said.en and "未缴费" in said.zh
        snap = ctl.snapshot()
        assert snap.bound is not None and snap.bound.paid is False
        assert snap.to_dict()["bound"]["paid"] is False    # what the console's page reads
        from station.tui.view import TerminalState, render
        drawn = io.StringIO()
        Console(file=drawn, width=120, color_system=None).print(render(snap, TerminalState(("space",), "key")))
        assert "未缴费 NOT PAID" in drawn.getvalue()
        out = ctl.handle(Scan("2019000003", queue=False))  # a paid student: no such line
        assert out.ok and not any("NOT PAID" in w for w in out.warnings)
        assert "NOT PAID" not in ctl.messages[-1].en
    finally:
        station.close()


def test_cli_next_and_checkin_say_not_paid(workspace: Path) -> None:
    make(workspace)
    runner = CliRunner()
    queued = runner.invoke(cli, ["checkin", UNPAID, "--queue"])
    assert queued.exit_code == 0 and "NOT PAID" in queued.output
    bound = runner.invoke(cli, ["next"])
    assert bound.exit_code == 0 and "NOT PAID" in bound.output and "[bound]" in bound.output


def test_block_mode_needs_an_override_which_is_journalled(workspace: Path) -> None:
    ws = make(workspace, block=True)
    runner = CliRunner()
    refused = runner.invoke(cli, ["checkin", UNPAID])
    assert refused.exit_code == 1 and "NOT PAID" in refused.output and "nobody was bound" in refused.output
    with Store.open(ws) as store:
        assert store.bound_subject() is None and store.check_ins() == []
    allowed = runner.invoke(cli, ["--operator", "li", "checkin", UNPAID, "--allow-unpaid", "pays at the desk today"])
    assert allowed.exit_code == 0, allowed.output
    (journalled,) = overrides(ws)
    assert journalled["reason"] == "pays at the desk today" and journalled["operator"] == "li"
    # the desk may queue an unpaid student; `next` then needs the override
    assert runner.invoke(cli, ["skip"]).exit_code == 0
    assert runner.invoke(cli, ["checkin", UNPAID, "--queue"]).exit_code == 0
    assert runner.invoke(cli, ["next"]).exit_code == 1
    assert runner.invoke(cli, ["next", "--allow-unpaid", "registrar phoned"]).exit_code == 0
    assert [o["reason"] for o in overrides(ws)] == ["pays at the desk today", "registrar phoned"]


def test_block_mode_on_the_shoot_screen_p_lets_the_student_through_with_a_reason(workspace: Path) -> None:
    ws = make(workspace, block=True)
    station = Station.open(ws, "virtual")
    try:
        app = ShootApp(station.session, station.camera, trigger="key", queue_mode=False,
                       console=Console(file=io.StringIO(), width=160, color_system=None),
                       controller=station.controller)
        app.handle(KeyEvent("scan", UNPAID, time.monotonic()))
        snap = app.snapshot()
        assert snap.bound is None and snap.unpaid_blocked and UNPAID[:4] in snap.unpaid_blocked
        assert station.controller.handle(Shoot()).status == "refused"       # no binding, no shot
        app.handle(KeyEvent("key", "p", time.monotonic()))
        assert app.prompt is not None and "NOT PAID" in app.prompt.label
        app.handle(KeyEvent("line", "paid in cash, receipt seen", time.monotonic()))
        snap = app.snapshot()
        assert snap.bound is not None and snap.bound.paid is False and snap.unpaid_blocked is None
        assert "bound with an override" in station.controller.messages[-1].en
    finally:
        station.close()
    assert [o["reason"] for o in overrides(ws)] == ["paid in cash, receipt seen"]
