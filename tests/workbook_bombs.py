"""Hostile XLSX rosters, written byte by byte (no library would write them): the tests and bench_roster use them.

- `xfd_rows`: N rows, each with a cell in column XFD (the last Excel column): 1.5 MB on disk, 300,000 x
  16,384 cells for a reader that pads rows (openpyxl's read-only mode took 15 GB);
- `whitespace_strings`: a shared-strings part of N MB of whitespace (3 GB compresses to ~3 MB);
- `many_strings`: a shared-strings part declaring millions of strings;
- `huge_cell`: one inline cell far longer than Excel's 32,767 characters.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                 b'2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                 b'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>')
ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
             b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
             b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()
WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                 b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
              b'spreadsheetml/2006/main">')
HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>学号</t></is></c><c r="B1" t="inlineStr"><is><t>姓名</t>'
              '</is></c></row>').encode()


def _skeleton(zf: zipfile.ZipFile) -> None:
    zf.writestr("[Content_Types].xml", CONTENT_TYPES)
    zf.writestr("_rels/.rels", ROOT_RELS)
    zf.writestr("xl/workbook.xml", WORKBOOK)
    zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)


def _stream(zf: zipfile.ZipFile, name: str, parts) -> None:  # type: ignore[no-untyped-def]
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = 9  # type: ignore[attr-defined]   # what ZipFile.writestr sets from compresslevel
    with zf.open(info, "w", force_zip64=True) as out:
        for part in parts:
            out.write(part)


def _deflated(path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9)


def xfd_rows(path: Path, rows: int = 300_000, *, dimension: bool = True) -> Path:
    """A sheet of `rows` rows, each with one value in column XFD (declared as A1:XFD{rows} if `dimension`)."""
    def body():  # type: ignore[no-untyped-def]
        yield SHEET_HEAD
        if dimension:
            yield f'<dimension ref="A1:XFD{rows}"/>'.encode()
        yield b"<sheetData>" + HEADER_ROW
        chunk = []
        for r in range(2, rows + 1):
            chunk.append(f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>')
            if len(chunk) == 10_000:
                yield "".join(chunk).encode()
                chunk.clear()
        yield "".join(chunk).encode() + b"</sheetData></worksheet>"
    with _deflated(path) as zf:
        _skeleton(zf)
        _stream(zf, "xl/worksheets/sheet1.xml", body())
        zf.writestr("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                                            b' count="0" uniqueCount="0"></sst>')
    return path


def whitespace_strings(path: Path, megabytes: int = 3 * 1024) -> Path:
    """A shared string of `megabytes` MB of spaces (3 GB by default: ~3 MB on disk)."""
    block = b" " * (1 << 20)

    def body():  # type: ignore[no-untyped-def]
        yield b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        for _ in range(megabytes):
            yield block
        yield b"</t></si></sst>"
    with _deflated(path) as zf:
        _skeleton(zf)
        zf.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + b"<sheetData>" + HEADER_ROW
                    + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row></sheetData></worksheet>')
        _stream(zf, "xl/sharedStrings.xml", body())
    return path


def many_strings(path: Path, declared: int = 50_000_000) -> Path:
    """A shared-strings part that declares `declared` strings (and holds a few)."""
    with _deflated(path) as zf:
        _skeleton(zf)
        zf.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + b"<sheetData>" + HEADER_ROW + b"</sheetData></worksheet>")
        zf.writestr("xl/sharedStrings.xml", f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                                            f' count="{declared}" uniqueCount="{declared}"><si><t>a</t></si></sst>')
    return path


def huge_cell(path: Path, characters: int = 40_000_000) -> Path:
    """One inline cell of `characters` characters (Excel's limit is 32,767)."""
    def body():  # type: ignore[no-untyped-def]
        yield SHEET_HEAD + b"<sheetData>" + HEADER_ROW + b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
        left = characters
        while left > 0:
            n = min(left, 1 << 20)
            yield b"9" * n
            left -= n
        yield b"</t></is></c></row></sheetData></worksheet>"
    with _deflated(path) as zf:
        _skeleton(zf)
        _stream(zf, "xl/worksheets/sheet1.xml", body())
    return path


BOMBS = {"300k rows, a cell in XFD (dimension declared)": lambda p: xfd_rows(p),
         "300k rows, a cell in XFD (no dimension)": lambda p: xfd_rows(p, dimension=False),
         "3 GB of whitespace in shared strings": lambda p: whitespace_strings(p),
         "50M shared strings declared": lambda p: many_strings(p),
         "one cell of 40M characters": lambda p: huge_cell(p)}

__all__ = ["BOMBS", "huge_cell", "many_strings", "whitespace_strings", "xfd_rows"]
