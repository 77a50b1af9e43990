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
