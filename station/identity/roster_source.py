"""Read a roster file into numbered rows of raw cells: CSV in the encodings Chinese Excel users produce, XLSX.

Row numbers are the spreadsheet's own (the first row is 1), so an error message points at the row a
registrar sees when they open the file. The file type is taken from its first bytes, not its name: a
registrar's "名单.csv" is sometimes an XLSX file renamed.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.core.errors import RosterError

log = logging.getLogger(__name__)

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"   # the old binary .xls


@dataclass(frozen=True)
class Table:
    """The raw cells of one roster sheet."""
    kind: str                                   # csv | xlsx
    detail: str                                 # the encoding (CSV) or the sheet name (XLSX)
    rows: list[tuple[int, tuple[Any, ...]]]     # (spreadsheet row number, cells)


def read_table(path: Path, sheet: str | None = None) -> Table:
    """The rows of a CSV or XLSX roster; RosterError for anything unreadable."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise RosterError(f"{path}: cannot read ({exc.strerror})") from exc
    if magic == _ZIP:
        return _read_xlsx(path, sheet)
    if magic == _OLE:
        raise RosterError(f"{path}: old binary Excel (.xls) is not supported",
                          hint="open it in Excel or WPS and save as .xlsx or CSV")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise RosterError(f"{path}: not a valid XLSX file (it is not a zip archive)")
    if sheet is not None:
        raise RosterError(f"{path}: --sheet applies to XLSX files only; this is a CSV file")
    return _read_csv(path)


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding): UTF-16 by its BOM, else strict UTF-8 (with or without BOM), else GB18030.

    GB18030 is a superset of GBK and GB2312, which is what "CSV" from a Chinese Excel or WPS usually is.
    Strict decoding in that order cannot mistake one for the other on real rosters: GBK text is almost
    never valid UTF-8.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise RosterError(f"{name}: broken UTF-16 text at byte {exc.start}") from exc
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise RosterError(f"{name}: neither UTF-8 nor GBK/GB18030 text (bad byte at offset {exc.start})",
                          hint="save the roster from Excel as 'CSV UTF-8' or as .xlsx") from exc


def _read_csv(path: Path) -> Table:
    text, encoding = decode_text(path.read_bytes(), str(path))
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",\t;", key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [(number, tuple(cells)) for number, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise RosterError(f"{path}: malformed CSV near record {reader.line_num}: {exc}") from exc
    log.debug("read %d CSV rows from %s (%s, delimiter %r)", len(rows), path, encoding, delimiter)
    return Table("csv", encoding, rows)


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    """openpyxl in read-only, values-only mode: a 20,000-row roster streams in seconds in little memory."""
    import openpyxl  # imported here: only XLSX imports pay for it
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/xml errors of every kind: the file is not a usable workbook
        raise RosterError(f"{path}: cannot open as XLSX ({exc.__class__.__name__}: {exc})") from exc
    try:
        names = workbook.sheetnames
        if sheet is None:
            chosen = names[0]
        elif sheet in names:
            chosen = sheet
        else:
            raise RosterError(f"{path}: no sheet named {sheet!r}; sheets: {', '.join(names)}")
        worksheet = workbook[chosen]
        worksheet.reset_dimensions()  # some writers record a wrong size; read every row there is
        rows = [(number, tuple(cells)) for number, cells in
                enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1)]
    finally:
        workbook.close()
    log.debug("read %d XLSX rows from %s, sheet %r", len(rows), path, chosen)
    return Table("xlsx", chosen, rows)
