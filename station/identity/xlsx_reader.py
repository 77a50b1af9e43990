"""A small streaming XLSX reader for rosters: cell values and merged ranges of every sheet, within bounds.

Why not openpyxl: its read-only mode (the only one that streams) gives no merged cells, which a registrar's
grouped two-row header needs, pads every row to the sheet's widest column (a cell in column XFD makes each of
300,000 rows 16,384 cells: 15 GB), and builds an object per cell (a 20,000-row roster took seconds). Here
expat reads each part in chunks, sizes are checked against `WorkbookLimits` before a part is parsed (the zip's
declared sizes, the sheet's declared dimension) and while it is parsed (rows, columns, strings, characters),
and a row is a tuple only as wide as its last value.
"""
from __future__ import annotations

import datetime as _dt
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from xml.parsers import expat

from config.i18n import _
from station.core.errors import RosterError
from station.identity.workbook_limits import LIMITS, WorkbookLimits, megabytes, too_big

_CHUNK = 1 << 20
_DIGITS = "0123456789$"
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
#: built-in number formats that are dates or times (ECMA-376 18.8.30)
_DATE_FORMATS = frozenset({*range(14, 23), 45, 46, 47, 27, 30, 36, 50, 57})
_DATE_CODE = re.compile(r"[dmyhs]")
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


@dataclass
class SheetCells:
    """One sheet: (row number, cells) in order with gaps filled by empty rows, and its merged ranges."""
    name: str
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    #: (first row, first column, last row, last column): rows from 1, columns from 0, both inclusive
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    chart: bool = False          # a chart sheet: no cells at all


class XlsxDamaged(Exception):
    """The archive or one of its parts cannot be read (the caller turns it into a clean refusal)."""


def column_index(letters: str) -> int:
    """'A' -> 0, 'XFD' -> 16383."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def column_letters(index: int) -> str:
    """0 -> 'A', 27 -> 'AB': how Excel names a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


#: column letters of the first 256 columns -> index (the common case of a cell reference, looked up not computed)
_COLUMNS = {column_letters(i): i for i in range(256)}


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'B5' -> (5, 1); None for anything else."""
    m = _REF.match(ref.strip())
    return (int(m.group(2)), column_index(m.group(1))) if m else None


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


class _Archive:
    """The zip with every member's declared size checked against the limits before anything is parsed."""

    def __init__(self, path: Path, limits: WorkbookLimits) -> None:
        self.path, self.limits = path, limits
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except Exception as exc:  # a damaged central directory raises more than BadZipFile
            raise XlsxDamaged(exc) from exc
        self.sizes = {i.filename: i.file_size for i in infos}
        total = sum(self.sizes.values())
        if total > limits.total_bytes:
            raise too_big(path, _("the unpacked workbook"), megabytes(total), megabytes(limits.total_bytes))
        for name, size in self.sizes.items():
            if size > limits.member_bytes:
                raise too_big(path, _("part {name} unpacked", name=name), megabytes(size),
                              megabytes(limits.member_bytes))

    def has(self, name: str) -> bool:
        return name in self.sizes

    def parse(self, name: str, start: Callable[..., None], end: Callable[[str], None] | None = None,
              text: Callable[[str], None] | None = None) -> None:
        """Stream one part through expat; never more bytes than the zip declared (zipfile stops there)."""
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = start
        if end is not None:
            parser.EndElementHandler = end
        if text is not None:
            parser.CharacterDataHandler = text
        try:
            with self.zip.open(name) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except RosterError:
            raise
        except Exception as exc:  # zlib, zipfile, expat, struct...: whatever a damaged part raises
            raise XlsxDamaged(f"{name}: {exc}") from exc

    def close(self) -> None:
        self.zip.close()


def _rels(archive: _Archive, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type's last word, target part name)."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if not archive.has(rels_name):
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            found[attrs.get("Id", "")] = (attrs.get("Type", "").rsplit("/", 1)[-1], target)
    archive.parse(rels_name, start)
    return found


def _workbook(archive: _Archive) -> tuple[str, list[tuple[str, str]], bool]:
    """(workbook part, [(sheet name, relationship id)], dates from 1904)."""
    part = "xl/workbook.xml"
    for kind, target in _rels(archive, "").values():
        if kind == "officeDocument":
            part = target
    sheets: list[tuple[str, str]] = []
    flags = {"1904": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            sheets.append((attrs.get("name", f"Sheet{len(sheets) + 1}"), rid))
            if len(sheets) > archive.limits.sheets:
                raise too_big(archive.path, _("the number of sheets"), str(len(sheets)),
                              str(archive.limits.sheets))
        elif local == "workbookPr":
            flags["1904"] = attrs.get("date1904", "0") in ("1", "true")
    archive.parse(part, start)
    return part, sheets, flags["1904"]


def _shared_strings(archive: _Archive, part: str | None) -> list[str]:
    """Every shared string (rich text runs joined; phonetic guides left out), within the limits."""
    if part is None or not archive.has(part):
        return []
    limits = archive.limits
    size = archive.sizes[part]
    if size > limits.shared_bytes:
        raise too_big(archive.path, _("the shared strings unpacked"), megabytes(size), megabytes(limits.shared_bytes))
    strings: list[str] = []
    state = {"in_t": False, "skip": False, "chars": 0, "open": False}
    pieces: list[str] = []

    def finish() -> None:
        """The pending string into the list (when the next one starts, and at the end: no end callbacks)."""
        if state["open"]:
            strings.append("".join(pieces))
            if len(strings) > limits.shared_count:
                raise too_big(archive.path, _("the number of shared strings"), f"> {limits.shared_count}",
                              str(limits.shared_count))
        pieces.clear()
        state["chars"] = 0
        state["skip"] = False
        state["in_t"] = False

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "t":
            state["in_t"] = True
        elif local == "si":
            finish()
            state["open"] = True
        elif local in ("rPh", "phoneticPr"):       # phonetic guides come after the text runs
            state["skip"] = True
            state["in_t"] = False
        elif local == "sst":
            declared = attrs.get("uniqueCount") or attrs.get("count") or "0"
            if declared.isdigit() and int(declared) > limits.shared_count:
                raise too_big(archive.path, _("the number of shared strings"), declared, str(limits.shared_count))
        else:
            state["in_t"] = False

    def text(data: str) -> None:
        if state["in_t"] and not state["skip"]:
            state["chars"] += len(data)
            if state["chars"] > limits.cell_chars:
                raise too_big(archive.path, _("one shared string"), _("{count} characters", count=state["chars"]),
                              _("{count} characters", count=limits.cell_chars))
            pieces.append(data)
    def end(_name: str) -> None:     # only </t> can follow text: no name lookup (the callback also flushes expat's
        state["in_t"] = False        # text buffer, so indentation after </t> never joins the string)
    archive.parse(part, start, end, text)
    finish()
    return strings


def _date_styles(archive: _Archive, part: str | None) -> set[int]:
    """Indexes of the cell formats (cellXfs) that show a number as a date or time."""
    if part is None or not archive.has(part):
        return set()
    custom: dict[int, bool] = {}
    xfs: list[int] = []
    state = {"in_xfs": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "numFmt":
            code = _QUOTED.sub("", attrs.get("formatCode", "").lower())
            if attrs.get("numFmtId", "").isdigit():
                custom[int(attrs["numFmtId"])] = bool(_DATE_CODE.search(code))
        elif local == "cellXfs":
            state["in_xfs"] = True
        elif local == "xf" and state["in_xfs"]:
            fmt = attrs.get("numFmtId", "0")
            xfs.append(int(fmt) if fmt.isdigit() else 0)

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            state["in_xfs"] = False
    archive.parse(part, start, end)
    return {i for i, fmt in enumerate(xfs) if custom.get(fmt, fmt in _DATE_FORMATS)}


def _excel_date(serial: float, date1904: bool) -> _dt.datetime | float:
    base = _dt.datetime(1904, 1, 1) if date1904 else _dt.datetime(1899, 12, 30)
    try:
        if not date1904 and serial < 61:    # Excel's 1900 leap-year bug: serials before March 1900
            serial += 1
        value = base + _dt.timedelta(days=serial)
    except (OverflowError, ValueError):
        return serial
    return value.replace(microsecond=0) if value.microsecond < 1000 or value.microsecond > 999_000 else value


def _number(text: str) -> int | float | None:
    text = text.strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return float(text)
    except ValueError:
        return None


def _sheet(archive: _Archive, part: str, name: str, strings: list[str], dates: set[int],
           date1904: bool) -> SheetCells:
    """Stream one worksheet: values by row, merged ranges; every bound checked as it comes."""
    limits = archive.limits
    sheet = SheetCells(name)
    rows = sheet.rows
    current: dict[int, Any] = {}
    state: dict[str, Any] = {"row": 0, "col": -1, "type": "n", "style": 0, "collect": False, "inline": False,
                             "chars": 0, "pending": False}
    pieces: list[str] = []
    locals_: dict[str, str] = {}
    columns = _COLUMNS

    def refuse_rows(number: int) -> None:
        raise too_big(archive.path, _("sheet {sheet!r}", sheet=name), _("{count} rows", count=number),
                      _("{count} rows", count=limits.rows))

    def refuse_column(col: int, row: int) -> None:
        raise too_big(archive.path, _("sheet {sheet!r}", sheet=name),
                      _("a value in column {column} (row {row})", column=col + 1, row=row),
                      _("{count} columns", count=limits.columns))

    def flush_row() -> None:
        number = state["row"]
        if current:
            last = rows[-1][0] if rows else 0
            if number - last > 1:
                rows.extend((n, ()) for n in range(last + 1, number))
            width = max(current) + 1
            rows.append((number, tuple(current.get(i) for i in range(width))))
            current.clear()

    def finish_cell() -> None:
        """The pending cell's value into the row (called when the next cell or row starts, and at the end)."""
        if state["pending"]:
            state["pending"] = False
            state["collect"] = False
            value = _cell_value(state["type"], "".join(pieces), state["style"])
            if value is not None:
                col = state["col"]
                if col >= limits.columns:
                    refuse_column(col, state["row"])
                current[col] = value

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = locals_.get(tag)
        if local is None:
            local = locals_[tag] = _local(tag)
        if local == "c":
            finish_cell()
            ref = attrs.get("r")
            col = columns.get(ref.rstrip(_DIGITS)) if ref else None
            if col is None:
                where = parse_ref(ref) if ref else None
                col = where[1] if where is not None else state["col"] + 1
            state["col"] = col
            state["type"] = attrs.get("t", "n")
            style = attrs.get("s")
            state["style"] = (int(style) if style.isdigit() else 0) if style else 0
            pieces.clear()
            state["chars"] = 0
            state["inline"] = False
            state["pending"] = True
        elif local == "v" or (local == "t" and state["inline"]):
            state["collect"] = True
        elif local == "is":
            state["inline"] = True
            state["collect"] = False
        elif local == "row":
            finish_cell()
            flush_row()
            r = attrs.get("r", "")
            state["row"] = int(r) if r.isdigit() else state["row"] + 1
            state["col"] = -1
            if state["row"] > limits.rows:
                refuse_rows(state["row"])
        else:
            state["collect"] = False       # a formula, a rich-text run's properties, anything after the data
            if local == "mergeCell":
                ref = attrs.get("ref", "")
                first, _sep, last = ref.partition(":")
                a, b = parse_ref(first), parse_ref(last or first)
                if a and b and len(sheet.merges) < limits.rows:
                    sheet.merges.append((min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])))
            elif local == "dimension":
                ref = attrs.get("ref", "")
                last = parse_ref(ref.partition(":")[2] or ref)
                if last is not None:
                    if last[0] > limits.rows:
                        raise too_big(archive.path, _("sheet {sheet!r}", sheet=name),
                                      _("declared size {ref}", ref=ref), _("{count} rows", count=limits.rows))
                    if last[1] >= limits.columns:
                        raise too_big(archive.path, _("sheet {sheet!r}", sheet=name),
                                      _("declared size {ref}", ref=ref), _("{count} columns", count=limits.columns))

    def text(data: str) -> None:
        if state["collect"]:
            state["chars"] += len(data)
            if state["chars"] > limits.cell_chars:
                raise too_big(archive.path, _("sheet {sheet!r}", sheet=name),
                              _("a cell of {count} characters", count=state["chars"]),
                              _("{count} characters", count=limits.cell_chars))
            pieces.append(data)

    def _cell_value(kind: str, raw: str, style: int) -> Any:
        if kind == "s":
            index = _number(raw)
            if not isinstance(index, int) or not 0 <= index < len(strings):
                return None
            return strings[index] or None
        if kind in ("inlineStr", "str"):
            return raw or None
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "e":
            return None
        if kind == "d":
            try:
                return _dt.datetime.fromisoformat(raw.strip().rstrip("Z"))
            except ValueError:
                return raw or None
        value = _number(raw)
        if value is not None and style in dates:
            return _excel_date(float(value), date1904)
        return value

    def end(_tag: str) -> None:      # only </v> or </t> can follow a value's text: no name lookup (the callback
        state["collect"] = False     # also flushes expat's buffer, so indentation never joins a value)
    archive.parse(part, start, end, text)
    finish_cell()
    flush_row()
    return sheet


def sheet_names(path: Path, limits: WorkbookLimits = LIMITS) -> list[str]:
    """The workbook's sheet names in tab order (raises XlsxDamaged or RosterError)."""
    archive = _Archive(path, limits)
    try:
        return [n for n, _rid in _workbook(archive)[1]]
    finally:
        archive.close()


def read_xlsx(path: Path, wanted: Callable[[list[str]], list[str]],
              limits: WorkbookLimits = LIMITS) -> list[SheetCells]:
    """The sheets `wanted(names)` picks, in that order; XlsxDamaged for a broken archive, RosterError over bounds."""
    archive = _Archive(path, limits)
    try:
        part, listed, date1904 = _workbook(archive)
        rels = _rels(archive, part)
        chosen = wanted([n for n, _rid in listed])
        by_name = dict(listed)
        parts = {kind: target for kind, target in rels.values()}
        strings = _shared_strings(archive, parts.get("sharedStrings", "xl/sharedStrings.xml"))
        dates = _date_styles(archive, parts.get("styles", "xl/styles.xml"))
        sheets: list[SheetCells] = []
        for name in chosen:
            kind, target = rels.get(by_name.get(name, ""), ("", ""))
            if kind == "chartsheet":
                sheets.append(SheetCells(name, chart=True))
                continue
            if kind != "worksheet" or not archive.has(target):
                raise XlsxDamaged(_("the part holding sheet {sheet!r} is missing from the file", sheet=name))
            sheets.append(_sheet(archive, target, name, strings, dates, date1904))
        return sheets
    finally:
        archive.close()
