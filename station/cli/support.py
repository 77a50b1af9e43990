"""Helpers every command module shares, so every command behaves the same way:

- the app context (workspace, --debug, the global --operator) and opening the store;
- ONE `--json` option (`json_option`) and ONE JSON printer (`echo_json`, subject codes masked);
- ONE way to fail: raise a DomainError (or `fail(...)`): `error: ...` + `  hint: ...` on stderr, exit 1;
  usage errors are click's (exit 2). `exit_failed()` when the problems were listed already;
- ONE exit rule for partial work (`partial_ok_option` + `finish_partial`): a command that refused part of its
  input exits 1, or 0 with --partial-ok;
- ONE progress interface (`progress_for`): a bar on a terminal, silence in pipes, tests and --json.
"""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, NoReturn, TypeVar

import click

from config.errors import DomainError
from config.i18n import N_, _
from station.core.progress import Progress, SilentProgress

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    """What every command gets: where the workspace is, whether to show tracebacks, who is operating."""
    workspace: Path
    debug: bool
    operator: str | None = None       # the group's --operator / $STATION_OPERATOR

    def operator_for(self, given: str | None) -> str | None:
        """A command's own --operator wins over the group's (both read $STATION_OPERATOR)."""
        return given if given is not None else self.operator


pass_app = click.make_pass_decorator(AppContext)


@contextmanager
def open_store(app: AppContext) -> Iterator["Store"]:  # noqa: F821
    """Open the workspace's store for one command and close it afterwards."""
    from station.store.workspace import Store
    store = Store.open(app.workspace)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_read(app: AppContext) -> Iterator["ReadModel"]:  # noqa: F821
    """Open the workspace's journal read-only for a command that only reads (review, lists), and close it."""
    from config.settings import load_settings
    from station.store.queries import ReadModel
    load_settings(app.workspace)         # the same refusal as open_store for a folder that is not a workspace
    read = ReadModel.open(app.workspace)
    try:
        yield read
    finally:
        read.close()


def source_workspaces(app: AppContext, sources: tuple[Path, ...]) -> list[Path]:
    """What `--from` means for every command that reads several stations (export, report, prints): the
    --from workspaces PLUS the current one (--workspace) when it is a workspace; without --from, the current
    one alone. The same workspace given twice counts once (the merge drops it)."""
    from config.settings import SETTINGS_FILE
    current = app.workspace
    if not sources:
        return [current]
    found = [current] if (current / SETTINGS_FILE).is_file() else []
    return found + list(sources)


FROM_HELP = N_("Also read this station's workspace (repeatable); the current --workspace is included when it "
               "is one.")


OPERATOR_ENV = "STATION_OPERATOR"
OPERATOR_HELP = N_("Operator name recorded in the journal (default: station.toml station.operator).")


def operator_option(fn: F) -> F:
    """A command's own --operator NAME (or $STATION_OPERATOR); without it, the group's --operator. Either way
    the command receives the resolved name as `operator`."""
    import functools

    @functools.wraps(fn)
    def resolved(*args: Any, operator: str | None = None, **kwargs: Any) -> Any:
        app = click.get_current_context().find_object(AppContext)
        return fn(*args, operator=app.operator_for(operator) if app is not None else operator, **kwargs)
    return click.option("--operator", default=None, envvar=OPERATOR_ENV, show_envvar=True,
                        help=OPERATOR_HELP)(resolved)  # type: ignore[return-value]


def json_option(help: str = N_("Print the result as JSON.")) -> Callable[[F], F]:
    """The one `--json` flag (parameter `as_json`) of every command that can print JSON."""
    return click.option("--json", "as_json", is_flag=True, help=help)


class CommandFailed(DomainError):
    """A command's own refusal (not a library's): printed and exited like every DomainError."""


def fail(message: str, *, hint: str | None = None) -> NoReturn:
    """Refuse: `error: MESSAGE` (+ hint) on stderr, exit 1 — the same path as a library's DomainError."""
    raise CommandFailed(message, hint=hint)


def exit_failed() -> NoReturn:
    """Exit 1 after the command listed its problems itself (one line per bad row or photo)."""
    click.get_current_context().exit(1)
    raise AssertionError("unreachable")  # pragma: no cover - ctx.exit raises


PARTIAL_HELP = N_("Exit 0 even when part of the input was refused (default: the rest is done and the exit "
                  "status is 1).")


def partial_ok_option(fn: F) -> F:
    """--partial-ok: see `finish_partial`."""
    return click.option("--partial-ok", is_flag=True, help=PARTIAL_HELP)(fn)


def finish_partial(refused: int, partial_ok: bool) -> None:
    """The exit rule of every command that can refuse part of its input (import-photos, roster import
    --skip-invalid, export --skip-invalid, crop): exit 1 when anything was refused, unless --partial-ok."""
    if refused and not partial_ok:
        exit_failed()


@contextmanager
def progress_for(quiet: bool = False) -> Iterator[Progress]:
    """The progress of a long command: a bar on stderr when it is a terminal (and not `quiet`: --json...),
    else nothing."""
    if quiet or not progress_enabled():
        yield SilentProgress()
        return
    with TerminalProgress() as bar:
        yield bar


class TerminalProgress:
    """`Progress` as a rich bar on stderr; `note` prints a stage line above it."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn
        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self._task: Any = None

    def __enter__(self) -> "TerminalProgress":
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(*exc)

    def start(self, label: str, total: int | None) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, n)

    def note(self, text: str) -> None:
        self._bar.console.print(f"... {text}", highlight=False)


def echo_json(value: Any) -> None:
    """JSON on stdout, UTF-8, Chinese kept readable; a subject code that is an ID number is masked."""
    click.echo(json.dumps(_masked_codes(value), ensure_ascii=False, indent=2, default=str))


#: keys whose values are subject codes (which may be ID numbers): masked in every command's output
CODE_KEYS = frozenset({"code"})


def shown_code(code: str | None) -> str:
    """A subject code as every command prints it: an ID number masked (issue 11), anything else as is."""
    from station.core.idnumber import mask_code
    return mask_code(code) if code else "-"


def _masked_codes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (shown_code(v) if k in CODE_KEYS and isinstance(v, str) else _masked_codes(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked_codes(v) for v in value]
    return value


def progress_enabled() -> bool:
    """Progress bars only on a terminal (scripts and tests get clean output)."""
    return sys.stderr.isatty()


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-aligned in `width` terminal columns, so tables with Chinese names line up."""
    return text + " " * max(0, width - display_width(text))


def rpad(text: str, width: int) -> str:
    """Right-aligned in `width` terminal columns (a Chinese column heading over numbers)."""
    return " " * max(0, width - display_width(text)) + text
