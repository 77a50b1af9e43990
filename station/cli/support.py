"""Helpers every command module shares: the app context, opening the store, JSON output."""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import click


@dataclass
class AppContext:
    """What every command gets: where the workspace is and whether to show tracebacks."""
    workspace: Path
    debug: bool


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


FROM_HELP = ("Also read this station's workspace (repeatable); the current --workspace is included when it "
             "is one.")


def echo_json(value: Any) -> None:
    """JSON on stdout, UTF-8, Chinese kept readable."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


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
