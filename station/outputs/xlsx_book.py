"""Workbooks the registrar prints and files: titled tables with frozen headers, widths, print titles, fit to width.

One writer for every XLSX the station makes (the report, the export summary), so each sheet prints the same
way: a title row, the header row repeated on every printed page, A4 fitted to the page width, page numbers
in the footer. The bytes are reproducible: the same content gives the same file (fixed document dates and
zip entry times), which is what lets an export be re-run without "a different file already has this name".

The sheets are written as SpreadsheetML text directly: a 20,000-student report has 350,000 cells, and
openpyxl's cell objects alone took tens of seconds on a busy station (openpyxl reads them back in the tests).
"""
from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Iterable, Sequence
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from config.i18n import _

#: the document date written into every workbook: a fixed value keeps the bytes reproducible
FIXED_DATE = _dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FONT = "宋体"          # what a Chinese office's Excel/WPS prints with; SimSun is everywhere there

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# cell styles (cellXfs), in styles.xml order: plain, title, body text, header, boxed body, total row
_PLAIN, _TITLE, _BODY, _HEADER, _BOXED, _TOTAL = range(6)
_GREY = '<color rgb="00808080"/>'
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    f'<fonts count="3"><font><sz val="11"/><name val="{_FONT}"/></font>'
    f'<font><b/><sz val="11"/><name val="{_FONT}"/></font><font><b/><sz val="14"/><name val="{_FONT}"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="00DDEBF7"/></patternFill></fill></fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    f'<border><left style="thin">{_GREY}</left><right style="thin">{_GREY}</right><top style="thin">{_GREY}</top>'
    f'<bottom style="thin">{_GREY}</bottom><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1">'
    '<alignment vertical="center"/></xf>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


@dataclass(frozen=True)
class Column:
    """One column: its header (already translated), width in characters, and whether it holds counts."""
    header: str
    width: float = 12
    number: bool = False


def _esc(text: str) -> str:
    """Text as XML character data (characters XML cannot hold are dropped)."""
    return escape(_ILLEGAL.sub("", text), {'"': "&quot;"})


class _Sheet:
    """One worksheet's rows as SpreadsheetML text."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.parts: list[str] = []
        self.rows = 0
        self.letters = [get_column_letter(i) for i in range(1, 11)]

    def row(self, values: Sequence[Any], style: int = _PLAIN, *, every_cell: bool = False) -> None:
        """One row: every string is text (never a formula: "=HYPERLINK(...)" stays a name), numbers stay
        numbers; with `every_cell` an empty cell is written too (so a boxed row is boxed across)."""
        self.rows += 1
        r = self.rows
        if len(values) > len(self.letters):
            self.letters = [get_column_letter(i) for i in range(1, len(values) + 1)]
        attr = f' s="{style}"' if style else ""
        cells = []
        for letter, value in zip(self.letters, values):
            if value is None or value == "":
                if every_cell:
                    cells.append(f'<c r="{letter}{r}"{attr}/>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<c r="{letter}{r}"{attr}><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{letter}{r}"{attr} t="inlineStr"><is><t xml:space="preserve">'
                             f'{_esc(str(value))}</t></is></c>')
        self.parts.append(f'<row r="{r}">{"".join(cells)}</row>')


class Book:
    """A workbook built sheet by sheet; `to_bytes()` gives the reproducible .xlsx file."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.sheets: list[tuple[str, str]] = []      # (sheet name, its XML)

    def table(self, name: str, title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *,
              subtitle: str = "", boxed: bool = False, row_height: float | None = None,
              landscape: bool = False, total_row: Sequence[Any] | None = None) -> None:
        """A sheet: title (row 1: the sheet's name), subtitle (row 2: a longer title, if any, then `subtitle`),
        header (row 3), then rows; header rows repeat on print.

        `boxed` draws every cell's border (a sheet people sign on paper); `row_height` in points leaves room
        for a signature. Text is always written as text.
        """
        if title != name:   # the title row is the sheet's own name (the tab and the page say one thing)
            subtitle = f"{title} — {subtitle}" if subtitle else title
            title = name
        sheet = _Sheet(self._unique(_sheet_name(name)))
        sheet.row([title], _TITLE)
        sheet.row([subtitle] if subtitle else [], _BODY)
        sheet.row([c.header for c in columns], _HEADER, every_cell=True)
        for row in rows:
            sheet.row(row, _BOXED if boxed else _PLAIN, every_cell=boxed)
        if total_row is not None:
            sheet.row(total_row, _TOTAL, every_cell=True)
        cols = "".join(f'<col min="{i}" max="{i}" width="{c.width}" customWidth="1"/>'
                       for i, c in enumerate(columns, start=1))
        height = (f'<sheetFormatPr defaultRowHeight="{row_height}" customHeight="1"/>' if row_height
                  else '<sheetFormatPr defaultRowHeight="15"/>')
        xml = (f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
               '<sheetViews><sheetView workbookViewId="0"><pane ySplit="3" topLeftCell="A4" activePane="bottomLeft"'
               ' state="frozen"/><selection pane="bottomLeft" activeCell="A4" sqref="A4"/></sheetView></sheetViews>'
               + height + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>" + "".join(sheet.parts)
               + '</sheetData><printOptions horizontalCentered="1"/>'
               '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
               f'<pageSetup paperSize="9" orientation="{"landscape" if landscape else "portrait"}"'
               ' fitToWidth="1" fitToHeight="0"/>'
               f'<headerFooter><oddFooter>&amp;C{_esc(_("page &P of &N"))}</oddFooter></headerFooter></worksheet>')
        self.sheets.append((sheet.name, xml))

    def _unique(self, name: str) -> str:
        used = {n.casefold() for n, _x in self.sheets}
        candidate, n = name, 1
        while candidate.casefold() in used:
            n += 1
            candidate = f"{name[:28]}_{n}"
        return candidate

    def to_bytes(self) -> bytes:
        if not self.sheets:
            self.table(_("empty"), _("empty"), [], [])
        stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
        count = len(self.sheets)
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        files: list[tuple[str, str]] = [
            ("[Content_Types].xml",
             f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             f'<Override PartName="/xl/workbook.xml" ContentType="{sheet_type}.sheet.main+xml"/>'
             f'<Override PartName="/xl/styles.xml" ContentType="{sheet_type}.styles+xml"/>'
             '<Override PartName="/docProps/core.xml" '
             'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
             + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}.worksheet+xml"/>'
                       for i in range(1, count + 1)) + "</Types>"),
            ("_rels/.rels",
             f'{_XML}<Relationships xmlns="{_PKG}">'
             f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
             f'<Relationship Id="rId2" Type="{_PKG}/metadata/core-properties" Target="docProps/core.xml"/>'
             "</Relationships>"),
            ("docProps/core.xml",
             f'{_XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
             'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
             ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
             f"<dc:title>{_esc(self.title)}</dc:title><dc:creator>Capture Station</dc:creator>"
             f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
             f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>'),
            ("xl/workbook.xml",
             f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews><sheets>'
             + "".join(f'<sheet name="{_esc(name)}" sheetId="{i}" r:id="rId{i}"/>'
                       for i, (name, _x) in enumerate(self.sheets, start=1))
             + "</sheets><definedNames>"
             + "".join(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{_esc(_quoted(name))}!$1:$3'
                       "</definedName>" for i, (name, _x) in enumerate(self.sheets))
             + "</definedNames></workbook>"),
            ("xl/_rels/workbook.xml.rels",
             f'{_XML}<Relationships xmlns="{_PKG}">'
             + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, count + 1))
             + f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'),
            ("xl/styles.xml", _STYLES),
        ]
        files += [(f"xl/worksheets/sheet{i}.xml", xml) for i, (_n, xml) in enumerate(self.sheets, start=1)]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files:
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o600 << 16
                archive.writestr(info, text.encode("utf-8"), compresslevel=6)
        return buffer.getvalue()


def _quoted(name: str) -> str:
    """A sheet name as a formula reference writes it."""
    return "'" + name.replace("'", "''") + "'"


def _sheet_name(name: str) -> str:
    """Excel's rules: at most 31 characters, none of : \\ / ? * [ ]."""
    for bad in ':\\/?*[]':
        name = name.replace(bad, "_")
    return name[:31] or "sheet"
