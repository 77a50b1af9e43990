"""The one progress interface of long jobs (export, report/prints, import-photos, roster import).

Libraries report progress through `Progress` and never print; the CLI passes a terminal bar or `SilentProgress`
(`station.cli.support.progress_for`), a browser page could pass its own.
"""
from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Stages with a known size (`start`, then `advance` per item) and free-text stage lines (`note`)."""

    def start(self, label: str, total: int | None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def note(self, text: str) -> None: ...


class SilentProgress:
    """Progress nobody watches: pipes, tests, --json."""

    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def note(self, text: str) -> None:
        pass
