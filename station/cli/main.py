"""The `station` command: a thin click layer that parses, calls the library and prints.

Commands live in `station/cli/commands/*.py`, each module exposing `COMMANDS` (a list of click commands or
groups); this file only gathers them and maps domain errors to one-line messages (exit 1) with the traceback
behind --debug. Heavy imports (gphoto2, OpenCV) stay inside the commands that need them.
"""
from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from pathlib import Path

import click

from config.errors import DomainError, error_line, hint_line
from station.cli.oserrors import os_error
from config.i18n import LANG_ENV, LANGUAGES, N_, _, resolve_language, set_language
from config.settings import WORKSPACE_ENV, default_workspace
from station.cli.localise import HelpText, language_from_argv, localise
from station.cli.support import OPERATOR_ENV, AppContext

COMMAND_MODULES = (
    "station.cli.commands.setup",
    "station.cli.commands.roster",
    "station.cli.commands.camera",
    "station.cli.commands.photo",
    "station.cli.commands.session",
    "station.cli.commands.export",
    "station.cli.commands.report",
    "station.cli.commands.console",
    "station.cli.commands.faces",
)


class StationGroup(click.Group):
    """A group that turns DomainError into `error: ...` on stderr and exit status 1, and speaks the run's
    language from the first word it prints (help included: see station/cli/localise.py)."""

    def main(self, args=None, *rest, **kwargs):  # type: ignore[no-untyped-def, override]
        localise(self, language_from_argv(list(args) if args is not None else None))
        return super().main(args, *rest, **kwargs)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (DomainError, OSError) as raised:
            app = ctx.obj if isinstance(ctx.obj, AppContext) else None
            if app is not None and app.debug:
                traceback.print_exc()
            exc = raised if isinstance(raised, DomainError) else os_error(raised)
            click.echo(error_line(exc), err=True)
            if exc.hint:
                click.echo("  " + hint_line(exc.hint), err=True)
            ctx.exit(1)


@click.group(cls=StationGroup, context_settings={"help_option_names": ["-h", "--help"]}, help=N_("Capture Station: tethered DSLR photo station for graduation registration photos.\n"
             "\n"
             "Scan a student, shoot, get a verdict against the registration format while the student is still in\n"
             "the chair, and export per-college folders at the end of the day."))
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=HelpText(N_("Station workspace folder (default: ${env} or ./station-data)."), env=WORKSPACE_ENV))
@click.option("--debug", is_flag=True, help=N_("Show tracebacks and debug logging."))
@click.option("--operator", default=None, envvar=OPERATOR_ENV, show_envvar=True,
              help=N_("Operator name recorded in the journal (default: station.toml station.operator). Every "
                      "command that writes the journal uses it; a command's own --operator wins."))
@click.option("--lang", type=click.Choice(LANGUAGES), default=None,
              help=HelpText(N_("Language of messages and reports: zh (default) or en (else ${env}, then the "
                               "locale)."), env=LANG_ENV))
@click.version_option(package_name="capture-station")
@click.pass_context
def cli(ctx: click.Context, workspace: Path | None, debug: bool, operator: str | None, lang: str | None) -> None:
    os.umask(0o077)  # everything the station creates is readable by the owner only
    set_language(resolve_language(lang))
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = AppContext(workspace=workspace or default_workspace(), debug=debug, operator=operator)


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        for command in getattr(module, "COMMANDS", []):
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry: run the CLI and return its exit status."""
    try:
        cli.main(args=argv, prog_name="station", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
