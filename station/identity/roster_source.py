"""Read a roster file into numbered rows of raw cells: CSV in the encodings Chinese Excel users produce, XLSX,
and the old binary Excel (.xls) that many academic systems still export.

Row numbers are the spreadsheet's own (the first row is 1), so an error message points at the row a
registrar sees when they open the file. The file type is taken from its first bytes, not its name: a
registrar's "名单.csv" is sometimes an XLSX file renamed.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.i18n import N_, _
from station.core.errors import RosterError

log = logging.getLogger(__name__)

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"   # the old binary .xls
_XLS_LABEL = N_("old binary Excel (.xls)")


@dataclass(frozen=True)
class Table:
    """The raw cells of one roster sheet."""
    kind: str                                   # csv | xlsx | xls
    detail: str                                 # the encoding (CSV) or the sheet name (XLSX, XLS)
    rows: list[tuple[int, tuple[Any, ...]]]     # (spreadsheet row number, cells)
    #: rows the reader itself found broken (an unterminated CSV quote): row number -> reason
    broken: dict[int, str] = field(default_factory=dict)


def read_table(path: Path, sheet: str | None = None) -> Table:
    """The rows of a CSV, XLSX or XLS roster; RosterError for anything unreadable."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise RosterError(_("{file}: cannot read ({reason})", file=path, reason=exc.strerror)) from exc
    if magic == _ZIP:
        return _read_xlsx(path, sheet)
    if magic == _OLE:
        return _read_xls(path, sheet)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise RosterError(_("{file}: not a valid XLSX file (it is not a zip archive)", file=path))
    if path.suffix.lower() == ".xls" and magic.lstrip()[:1] == b"<":
        raise RosterError(_("{file}: this .xls is a web page (HTML) saved by the academic system, not Excel",
                            file=path),
                          hint=_("open it in Excel or WPS and save it as .xlsx, then import that file"))
    if sheet is not None:
        raise RosterError(_("{file}: --sheet applies to Excel files only; this is a CSV file", file=path))
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
            raise RosterError(_("{file}: broken UTF-16 text at byte {offset}", file=name,
                                offset=exc.start)) from exc
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise RosterError(_("{file}: neither UTF-8 nor GBK/GB18030 text (bad byte at offset {offset})",
                            file=name, offset=exc.start),
                          hint=_("save the roster from Excel as 'CSV UTF-8' or as .xlsx")) from exc


def _read_csv(path: Path) -> Table:
    text, encoding = decode_text(path.read_bytes(), str(path))
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",\t;", key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, tuple[Any, ...]]] = []
    broken: dict[int, str] = {}
    line = 1
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append((number, tuple(cells)))
            swallowed = _swallowed_lines(cells, delimiter)
            if swallowed:
                broken[number] = _("an unterminated quote (\") swallows the next {count} lines of the file"
                                   " (from line {line}) into one cell", count=swallowed, line=line + 1)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise RosterError(_("{file}: malformed CSV near line {line}: {reason}", file=path,
                            line=reader.line_num, reason=exc)) from exc
    log.debug("read %d CSV rows from %s (%s, delimiter %r)", len(rows), path, encoding, delimiter)
    return Table("csv", encoding, rows, broken)


def _swallowed_lines(cells: list[str], delimiter: str) -> int:
    """Lines of the file one cell ran over because its opening quote is never closed (0: none).

    A quoted cell may legitimately hold a line break (Alt+Enter in Excel), but never a line break followed by
    more delimited cells: that is the rest of the file read as text, the students in it silently lost.
    """
    for cell in cells:
        if "\n" in cell or "\r" in cell:
            lines = cell.splitlines()
            if any(delimiter in later for later in lines[1:]):
                return len(lines) - 1
    return 0


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    """openpyxl in read-only, values-only mode: a 20,000-row roster streams in seconds in little memory."""
    from openpyxl.reader.excel import ExcelReader  # imported here: only XLSX imports pay for it
    try:
        reader = ExcelReader(str(path), read_only=True, data_only=True)   # what load_workbook does
        reader.read()
        workbook = reader.wb
        listed = [s.name for s in reader.parser.sheets]
    except Exception as exc:  # zipfile/xml errors of every kind: the file is not a usable workbook
        raise _unusable(path, "XLSX", exc) from exc
    try:
        chosen = _choose_sheet(path, listed, sheet)
        try:
            if chosen not in workbook.sheetnames:  # openpyxl silently drops a sheet whose part is missing
                raise KeyError(_("the part holding sheet {sheet!r} is missing from the file", sheet=chosen))
            worksheet = workbook[chosen]
            worksheet.reset_dimensions()  # some writers record a wrong size; read every row there is
            rows = [(number, tuple(cells)) for number, cells in
                    enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1)]
        except Exception as exc:  # a sheet part missing from the zip, or its XML cut or broken
            raise _unusable(path, "XLSX", exc, sheet=chosen) from exc
    finally:
        workbook.close()
    log.debug("read %d XLSX rows from %s, sheet %r", len(rows), path, chosen)
    return Table("xlsx", chosen, rows)


def _read_xls(path: Path, sheet: str | None) -> Table:
    """The old binary Excel (BIFF in an OLE2 file) through xlrd; dates and numbers as Excel shows them."""
    import xlrd  # imported here: only .xls imports pay for it
    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:  # xlrd.XLRDError, CompDocError, struct errors: not a usable workbook
        raise _unusable(path, _XLS_LABEL, exc) from exc
    try:
        chosen = _choose_sheet(path, book.sheet_names(), sheet)
        try:
            worksheet = book.sheet_by_name(chosen)
            rows = [(index + 1, _xls_cells(worksheet, index, book.datemode, xlrd))
                    for index in range(worksheet.nrows)]
        except Exception as exc:
            raise _unusable(path, _XLS_LABEL, exc, sheet=chosen) from exc
    finally:
        book.release_resources()
    log.debug("read %d XLS rows from %s, sheet %r", len(rows), path, chosen)
    return Table("xls", chosen, rows)


def _xls_cells(worksheet: Any, index: int, datemode: int, xlrd: Any) -> tuple[Any, ...]:
    """One .xls row with the value types openpyxl gives: None, str, float, bool, datetime."""
    cells: list[Any] = []
    for kind, value in zip(worksheet.row_types(index), worksheet.row_values(index)):
        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
            cells.append(None)
        elif kind == xlrd.XL_CELL_DATE:
            try:
                cells.append(xlrd.xldate_as_datetime(value, datemode))
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                cells.append(value)
        elif kind == xlrd.XL_CELL_BOOLEAN:
            cells.append(bool(value))
        else:
            cells.append(value)
    return tuple(cells)


def _choose_sheet(path: Path, names: list[str], sheet: str | None) -> str:
    if not names:
        raise RosterError(_("{file}: the workbook has no sheets", file=path))
    if sheet is None:
        return names[0]
    if sheet in names:
        return sheet
    raise RosterError(_("{file}: no sheet named {sheet!r}; sheets: {names}", file=path, sheet=sheet,
                        names=", ".join(names)))


def _unusable(path: Path, kind: str, exc: Exception, sheet: str | None = None) -> RosterError:
    """One clean refusal for a damaged workbook, whatever the library raised inside it."""
    if isinstance(exc, RosterError):
        return exc
    where = _("{file}, sheet {sheet!r}", file=path, sheet=sheet) if sheet else str(path)
    return RosterError(_("{where}: cannot read as {kind} ({reason})", where=where, kind=_(kind),
                         reason=f"{exc.__class__.__name__}: {exc}"),
                       hint=_("the file is damaged or incomplete: open it in Excel or WPS, save it again and"
                              " import the saved copy"))
