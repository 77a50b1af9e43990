"""`station cameras` and `station doctor` through click's runner, and help for every camera command."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli.main import cli
from station.cli.commands.camera import COMMANDS

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_cameras_lists_the_virtual_camera(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["cameras"])
    assert result.exit_code == 0, result.output
    assert "Nikon DSC D750" in result.output and "usb:001,001" in result.output
    listed = json.loads(runner.invoke(cli, ["cameras", "--json", "--no-battery"]).output)
    assert listed == [{"model": "Nikon DSC D750", "port": "usb:001,001", "battery": None}]


def test_doctor_passes_on_an_owner_only_workspace(runner: CliRunner, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir(mode=0o700)
    result = runner.invoke(cli, ["--workspace", str(ws), "doctor", "--json"])
    report = json.loads(result.output)
    names = {c["name"]: c for c in report["checks"]}
    assert {"libgphoto2", "camlibs", "camera holders", "camera", "disk", "workspace"} <= set(names)
    assert "2.5." in names["libgphoto2"]["detail"]
    assert names["workspace"]["status"] == "ok"
    # exit status follows the blocking checks (a gvfs process on the machine would legitimately fail it)
    assert result.exit_code == (0 if report["ok"] else 1)


def test_doctor_says_how_to_fix_a_readable_workspace(runner: CliRunner, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    ws.chmod(0o755)
    result = runner.invoke(cli, ["--workspace", str(ws), "doctor"])
    assert result.exit_code == 1
    assert "FAIL  workspace" in result.output and f"chmod 700 {ws}" in result.output


def test_doctor_on_missing_workspace_points_to_init(runner: CliRunner, workspace: Path) -> None:
    result = runner.invoke(cli, ["doctor"])
    assert "station init" in result.output


@pytest.mark.parametrize("command", [c.name for c in COMMANDS])
def test_every_camera_command_has_help(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert cli.commands[command].help and len(cli.commands[command].help) > 20
