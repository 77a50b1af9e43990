"""The one CSV cell neutraliser: a cell a spreadsheet would run as a formula is written as text.

Names and classes come from rosters and scans, so a cell like `=HYPERLINK(...)`, `=cmd|' /C calc'!A0` or
`@SUM(...)` must not reach Excel or WPS as a formula. As OWASP advises, a cell starting with = + - @ TAB or CR
gets a leading single quote (the spreadsheet shows the text, quote hidden). A plain number ("-3", "+86") and a
lone "-" (the placeholder for "none") are not formulas and stay as they are. Every CSV the station writes goes
through `writer` (manifest.csv, missing.csv, summary.csv, report --format csv); a test reads them back.
"""
from __future__ import annotations

import csv
import re
from typing import Any, Iterable, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet must store it: text that starts like a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and value != "-" \
            and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose every cell goes through `safe_cell` (same writerow/writerows)."""

    def __init__(self, out: TextIO, **fmt: Any) -> None:
        self._writer = csv.writer(out, **fmt)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: TextIO, **fmt: Any) -> SafeWriter:
    """The station's only way to write CSV (same arguments as csv.writer)."""
    return SafeWriter(out, **fmt)
