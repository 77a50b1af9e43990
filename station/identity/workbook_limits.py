"""How big a roster workbook may be: checked before and while parsing, so a hostile file is refused in seconds.

An XLSX is a zip of XML: 1.5 MB on disk can declare 300,000 rows with a cell in column XFD, or hold 3 GB of
whitespace in its shared strings. Every bound here is far above any real roster (the largest university's
graduating class is ~20,000 rows of ~30 columns) and far below what would take the station's memory.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.i18n import _
from station.core.errors import RosterError


@dataclass(frozen=True)
class WorkbookLimits:
    """Upper bounds for one roster file (all sheets together where it says so)."""
    file_bytes: int = 200 * 1024 * 1024          # the file on disk (CSV, XLS, XLSX)
    member_bytes: int = 256 * 1024 * 1024        # one uncompressed zip member (a sheet's XML)
    total_bytes: int = 512 * 1024 * 1024         # every uncompressed zip member together
    shared_bytes: int = 64 * 1024 * 1024         # uncompressed sharedStrings.xml
    shared_count: int = 1_000_000                # distinct shared strings
    rows: int = 200_000                          # rows of one sheet
    columns: int = 256                           # columns of one sheet (the .xls maximum)
    cell_chars: int = 32_767                     # characters of one cell (Excel's own maximum)
    sheets: int = 256                            # sheets of one workbook


LIMITS = WorkbookLimits()


def too_big(path: Path | str, what: str, found: str, limit: str) -> RosterError:
    """The one refusal for a workbook over a bound: what is too big, how big, and the bound."""
    return RosterError(_("{file}: refused: {what}: {found}, more than a roster ever has ({limit})",
                         file=path, what=what, found=found, limit=limit),
                       hint=_("this is not a registrar's roster (a damaged or hostile file?): ask for the"
                              " export again, or save the sheet as a new .xlsx in Excel or WPS"))


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size} B"
