"""Every command and subcommand registered on `station` has help text and `--help` works.

It walks whatever is registered (recursively through groups), so commands added later are covered too.
"""
from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from station.cli.main import cli

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages


def walk(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join(path + (name,))} is listed but cannot be loaded"
            found += walk(sub, path + (name,))
    return found


COMMANDS = walk(cli)


def test_the_walk_finds_the_known_commands() -> None:
    paths = {" ".join(p) for p, _ in COMMANDS}
    assert {"", "init", "checkin", "status", "roster", "roster import", "roster list"} <= paths


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "station" for p, _ in COMMANDS])
def test_help_exits_0_and_says_something(path: tuple[str, ...], command: click.Command) -> None:
    assert (command.help or command.short_help or "").strip(), f"{' '.join(path)} has no help text"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
