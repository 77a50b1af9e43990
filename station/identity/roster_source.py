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
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from config.i18n import N_, _
from station.core.errors import RosterError
from station.identity.workbook_limits import LIMITS, megabytes, too_big

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
    #: merged ranges (first row, first column, last row, last column): rows from 1, columns from 0
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    chart: bool = False                         # a chart sheet (no cells)


def read_tables(path: Path, sheets: Sequence[str] = ()) -> list[Table]:
    """Every sheet of a workbook (or the `sheets` named), or the one table of a CSV; RosterError if unreadable.

    The file's size is checked before anything is read, and a workbook's parts against `WorkbookLimits`.
    """
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
            size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise RosterError(_("{file}: cannot read ({reason})", file=path, reason=exc.strerror)) from exc
    if size > LIMITS.file_bytes:
        raise too_big(path, _("the file"), megabytes(size), megabytes(LIMITS.file_bytes))
    if magic == _ZIP:
        return _read_xlsx(path, sheets)
    if magic == _OLE:
        return _read_xls(path, sheets)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise RosterError(_("{file}: not a valid XLSX file (it is not a zip archive)", file=path))
    if path.suffix.lower() == ".xls" and magic.lstrip()[:1] == b"<":
        raise RosterError(_("{file}: this .xls is a web page (HTML) saved by the academic system, not Excel",
                            file=path),
                          hint=_("open it in Excel or WPS and save it as .xlsx, then import that file"))
    if sheets:
        raise RosterError(_("{file}: --sheet applies to Excel files only; this is a CSV file", file=path))
    return [_read_csv(path)]


def read_table(path: Path, sheet: str | None = None) -> Table:
    """The first sheet (or the one named) of a roster file: kept for callers that read one table."""
    return read_tables(path, [sheet] if sheet else [])[0]


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
            if number > LIMITS.rows:
                raise too_big(path, _("the file"), _("{count} rows", count=f"> {LIMITS.rows}"),
                              _("{count} rows", count=LIMITS.rows))
            if len(cells) > LIMITS.columns and any(c.strip() for c in cells[LIMITS.columns:]):
                raise too_big(path, _("the file"), _("a value in column {column} (row {row})",
                                                     column=len(cells), row=number),
                              _("{count} columns", count=LIMITS.columns))
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


def _read_xlsx(path: Path, sheets: Sequence[str]) -> list[Table]:
    """Every chosen sheet through the bounded streaming reader (values and merged ranges)."""
    from station.identity.xlsx_reader import XlsxDamaged, read_xlsx
    chosen: list[str] = []

    def wanted(names: list[str]) -> list[str]:
        chosen.extend(_choose_sheets(path, names, sheets))
        return list(chosen)
    try:
        read = read_xlsx(path, wanted)
    except XlsxDamaged as exc:
        raise _unusable(path, "XLSX", exc, sheet=chosen[0] if len(chosen) == 1 else None) from exc
    tables = [Table("xlsx", s.name, s.rows, merges=s.merges, chart=s.chart) for s in read]
    log.debug("read %s from %s", {t.detail: len(t.rows) for t in tables}, path)
    return tables


def _read_xls(path: Path, sheets: Sequence[str]) -> list[Table]:
    """The old binary Excel (BIFF in an OLE2 file) through xlrd; dates and numbers as Excel shows them.

    BIFF has no compression, so the file's size bounds its content; rows are kept ragged (as long as their
    last value), and merged ranges are read (formatting_info) for grouped headers.
    """
    import xlrd  # imported here: only .xls imports pay for it
    try:
        book = xlrd.open_workbook(str(path), on_demand=True, formatting_info=True, ragged_rows=True)
    except Exception:  # some writers' formatting records trip xlrd: the values alone are still worth reading
        try:
            book = xlrd.open_workbook(str(path), on_demand=True, ragged_rows=True)
        except Exception as exc:  # xlrd.XLRDError, CompDocError, struct errors: not a usable workbook
            raise _unusable(path, _XLS_LABEL, exc) from exc
    tables: list[Table] = []
    try:
        for chosen in _choose_sheets(path, book.sheet_names(), sheets):
            try:
                worksheet = book.sheet_by_name(chosen)
                if worksheet.nrows > LIMITS.rows:
                    raise too_big(path, _("sheet {sheet!r}", sheet=chosen), _("{count} rows", count=worksheet.nrows),
                                  _("{count} rows", count=LIMITS.rows))
                rows = [(index + 1, _xls_cells(worksheet, index, book.datemode, xlrd))
                        for index in range(worksheet.nrows)]
                merges = [(rlo + 1, clo, rhi, chi - 1) for rlo, rhi, clo, chi in worksheet.merged_cells]
            except Exception as exc:
                raise _unusable(path, _XLS_LABEL, exc, sheet=chosen) from exc
            finally:
                book.unload_sheet(chosen)
            tables.append(Table("xls", chosen, rows, merges=merges))
    finally:
        book.release_resources()
    log.debug("read %s from %s", {t.detail: len(t.rows) for t in tables}, path)
    return tables


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


def _choose_sheets(path: Path, names: list[str], sheets: Sequence[str]) -> list[str]:
    """Every sheet in tab order, or the ones named (in the order given); an unknown name is refused."""
    if not names:
        raise RosterError(_("{file}: the workbook has no sheets", file=path))
    if not sheets:
        return list(names)
    missing = [s for s in sheets if s not in names]
    if missing:
        raise RosterError(_("{file}: no sheet named {sheet!r}; sheets: {names}", file=path, sheet=missing[0],
                            names=", ".join(names)))
    return list(dict.fromkeys(sheets))


def _unusable(path: Path, kind: str, exc: Exception, sheet: str | None = None) -> RosterError:
    """One clean refusal for a damaged workbook, whatever the library raised inside it."""
    if isinstance(exc, RosterError):
        return exc
    where = _("{file}, sheet {sheet!r}", file=path, sheet=sheet) if sheet else str(path)
    return RosterError(_("{where}: cannot read as {kind} ({reason})", where=where, kind=_(kind),
                         reason=f"{exc.__class__.__name__}: {exc}"),
                       hint=_("the file is damaged or incomplete: open it in Excel or WPS, save it again and"
                              " import the saved copy"))
