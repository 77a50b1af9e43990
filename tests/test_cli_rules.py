"""The CLI's shared rules, through the real CLI: one way to fail, the global --operator, one --json flag."""
from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from station.cli.main import cli
from station.store.workspace import Store
from workspace_factory import new_workspace, roster_rows
import pytest

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages


def ws_with_roster(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    with new_workspace(ws) as store:
        store.upsert_subjects(roster_rows(3), source_file="roster.csv")
    return ws


def operators(ws: Path) -> list[str]:
    with Store.open(ws) as store:
        return [r[0] for r in store.conn.execute("SELECT operator FROM events WHERE kind = 'check_in' ORDER BY id")]


def test_an_empty_queue_fails_like_every_other_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(ws_with_roster(tmp_path)), "next"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "Error:" not in result.output and "hint:" in result.stderr


def test_a_usage_error_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(ws_with_roster(tmp_path)), "shoot", "--trigger", "mouse"])
    assert result.exit_code == 2 and "Usage:" in result.output


def test_the_operator_is_named_once_for_every_command(tmp_path: Path) -> None:
    ws = ws_with_roster(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["--operator", "李老师", "-w", str(ws), "checkin", "2019000001"]).exit_code == 0
    assert runner.invoke(cli, ["-w", str(ws), "checkin", "2019000002"],
                         env={"STATION_OPERATOR": "王老师"}).exit_code == 0
    assert operators(ws)[-2:] == ["李老师", "王老师"]
    # a command that had its own --operator keeps it, and it wins over the group's
    runner.invoke(cli, ["-w", str(ws), "checkin", "2019000003"])
    result = runner.invoke(cli, ["--operator", "李老师", "-w", str(ws), "skip", "--operator", "张老师"])
    assert result.exit_code == 0, result.output
    with Store.open(ws) as store:
        assert store.conn.execute("SELECT operator FROM events WHERE kind = 'skip'").fetchone()[0] == "张老师"


def test_every_json_flag_is_the_shared_one_and_prints_json(tmp_path: Path) -> None:
    ws = ws_with_roster(tmp_path)

    def walk(group: click.Group, prefix: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from walk(command, prefix + (name,))
            else:
                yield prefix + (name,), command
    with_json = [path for path, command in walk(cli) if any(p.name == "as_json" for p in command.params)]
    assert len(with_json) >= 15
    for path, command in walk(cli):
        flags = [p for p in command.params if "--json" in getattr(p, "opts", ())]
        assert all(p.name == "as_json" and p.is_flag for p in flags), path
    result = CliRunner().invoke(cli, ["-w", str(ws), "checkin", "2019000001", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["shoot_no"] == 1


def test_a_code_that_is_an_id_number_is_masked_in_text_and_json(tmp_path: Path) -> None:
    from workspace_factory import id_number
    ws = tmp_path / "ws"
    new_workspace(ws).close()                               # registry session: no roster, the ID is the code
    code = id_number(4242)
    runner = CliRunner()
    shown = runner.invoke(cli, ["-w", str(ws), "checkin", code])
    assert shown.exit_code == 0 and code not in shown.output and code[:6] in shown.output
    for args in (["review", "--json"], ["status", "--json"], ["checkin", code, "--json"], ["skip"], ["review"]):
        result = runner.invoke(cli, ["-w", str(ws), *args])
        assert result.exit_code == 0, (args, result.output)
        assert code not in result.output, args
