"""Workbooks the registrar prints and files: titled tables with frozen headers, widths, print titles, fit to width.

One writer for every XLSX the station makes (the report, the export summary), so each sheet prints the same
way: a title row, the header row repeated on every printed page, A4 fitted to the page width, page numbers
in the footer. The bytes are reproducible: the same content gives the same file (fixed document dates and
zip entry times), which is what lets an export be re-run without "a different file already has this name".

openpyxl's write-only mode streams rows, so a 20,000-student report stays a matter of seconds.
"""
from __future__ import annotations

import datetime as _dt
from copy import copy
import io
import zipfile
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from config.i18n import _

#: the document date written into every workbook: a fixed value keeps the bytes reproducible
FIXED_DATE = _dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FONT = "宋体"          # what a Chinese office's Excel/WPS prints with; SimSun is everywhere there
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True)
class Column:
    """One column: its header (already translated), width in characters, and whether it holds counts."""
    header: str
    width: float = 12
    number: bool = False


class _ReproducibleZip(zipfile.ZipFile):
    """A zip whose entries all carry one fixed time, so equal content gives equal bytes."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: str | None = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        with open(filename, "rb") as fh:          # openpyxl's streamed sheets: a temporary file
            self.writestr(arcname or str(filename), fh.read(), compress_type, compresslevel)


class Book:
    """A write-only workbook built sheet by sheet; `to_bytes()` gives the reproducible .xlsx file."""

    def __init__(self, title: str) -> None:
        self.wb = Workbook(write_only=True)
        self.wb.properties.title = title
        self.wb.properties.creator = "Capture Station"
        self._header_font = Font(name=_FONT, bold=True, size=11)
        self._title_font = Font(name=_FONT, bold=True, size=14)
        self._body_font = Font(name=_FONT, size=11)
        self._fill = PatternFill("solid", fgColor="DDEBF7")
        self._styles: dict[tuple[Any, ...], Any] = {}

    def table(self, name: str, title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *,
              subtitle: str = "", boxed: bool = False, row_height: float | None = None,
              landscape: bool = False, total_row: Sequence[Any] | None = None) -> None:
        """A sheet: title (row 1: the sheet's name), subtitle (row 2: a longer title, if any, then `subtitle`),
        header (row 3), then rows; header rows repeat on print.

        `boxed` draws every cell's border (a sheet people sign on paper); `row_height` in points leaves room
        for a signature. Text is always written as text: a name such as "=HYPERLINK(...)" stays a name.
        """
        if title != name:   # the title row is the sheet's own name (the tab and the page say one thing)
            subtitle = f"{title} — {subtitle}" if subtitle else title
            title = name
        ws = self.wb.create_sheet(_sheet_name(name))
        for index, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = "A4"
        ws.print_title_rows = "1:3"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0          # as many pages down as needed, one page across
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = _("page &P of &N")
        if row_height:
            ws.sheet_format.defaultRowHeight = row_height
            ws.sheet_format.customHeight = True
        ws.append([self._cell(ws, title, self._title_font)])
        ws.append([self._cell(ws, subtitle, self._body_font)] if subtitle else [])
        ws.append([self._cell(ws, c.header, self._header_font, fill=True, border=True) for c in columns])
        middle = Alignment(vertical="center")
        for row in rows:
            if boxed:
                ws.append([self._cell(ws, v, self._body_font, border=True, align=middle) for v in row])
            else:
                ws.append([_text(ws, v) for v in row])
        if total_row is not None:
            ws.append([self._cell(ws, v, self._header_font, border=True) for v in total_row])

    def _cell(self, ws: Any, value: Any, font: Font, *, fill: bool = False, border: bool = False,
              align: Alignment | None = None) -> WriteOnlyCell:
        cell = _text(ws, value, force=True)
        key = (id(font), fill, border, id(align))
        style = self._styles.get(key)
        if style is None:   # the first cell of a look pays for the style lookup; the rest copy its indices
            cell.font = font
            if fill:
                cell.fill = self._fill
            if border:
                cell.border = _BOX
            if align is not None:
                cell.alignment = align
            self._styles[key] = copy(cell._style)
        else:
            cell._style = copy(style)
        return cell

    def to_bytes(self) -> bytes:
        self.wb.properties.created = self.wb.properties.modified = FIXED_DATE
        if not self.wb.worksheets:
            self.wb.create_sheet(_sheet_name(_("empty")))
        buffer = io.BytesIO()
        archive = _ReproducibleZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        ExcelWriter(self.wb, archive).save()       # what Workbook.save does, minus "modified = now"
        return buffer.getvalue()


def _text(ws: Any, value: Any, force: bool = False) -> Any:
    """A value to append: strings become text cells (never formulas); numbers stay numbers."""
    if isinstance(value, str) and (force or value[:1] in ("=", "+", "-", "@")):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"                      # openpyxl would store "=..." as a formula
        return cell
    if force:
        return WriteOnlyCell(ws, value=value)
    return value


def _sheet_name(name: str) -> str:
    """Excel's rules: at most 31 characters, none of : \\ / ? * [ ]."""
    for bad in ':\\/?*[]':
        name = name.replace(bad, "_")
    return name[:31] or "sheet"
