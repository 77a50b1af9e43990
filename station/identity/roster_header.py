"""Find a sheet's header as registrars lay it out: under a title, one to three rows, merged cells both ways.

An academic system's export often has a title row (merged across the sheet), then a grouped header: 基本信息
merged over 学号/姓名/性别 on the first header row with the column names below it, and 是否缴费 merged
*down* over both header rows. A column's name is the lowest named cell of that column inside the header
band, a merged cell counting for every cell it covers; a title row (one text across the sheet) is not part
of the band. The band chosen is the one whose names map the most known fields (an identity column among
them); the students start on the row below it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from station.identity.roster_columns import KEY_FIELDS, field_for

SCAN_ROWS = 20         # rows searched for the header's last row (titles, notes and grouped headers above it)
BAND = 3               # header rows at most


@dataclass(frozen=True)
class Header:
    """A sheet's header: the rows it spans, and each column's name and field."""
    first_row: int
    last_row: int
    names: list[str | None]           # column index -> name as written (None: unnamed column)
    fields: list[str | None]          # column index -> subject field (None: extra or unnamed)

    @property
    def rows_text(self) -> str:
        return str(self.last_row) if self.first_row == self.last_row else f"{self.first_row}-{self.last_row}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _grid(rows: list[tuple[int, tuple[Any, ...]]], merges: list[tuple[int, int, int, int]]
          ) -> tuple[dict[int, dict[int, tuple[str, bool]]], list[int]]:
    """The first rows as {row: {column: (text, continues a merge to its left)}}, merged cells filled in."""
    top = rows[:SCAN_ROWS + 1]
    numbers = [n for n, _c in top]
    if not numbers:
        return {}, []
    last = numbers[-1]
    grid: dict[int, dict[int, tuple[str, bool]]] = {n: {} for n in numbers}
    for number, cells in top:
        for col, value in enumerate(cells):
            text = _text(value)
            if text is not None:
                grid[number][col] = (text, False)
    for r1, c1, r2, c2 in merges:
        if r1 > last or r2 - r1 > SCAN_ROWS or c2 - c1 > 256:
            continue
        text = grid.get(r1, {}).get(c1)
        if text is None:
            continue
        for r in range(r1, min(r2, last) + 1):
            if r not in grid:
                continue
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    grid[r][c] = (text[0], c > c1)
    return grid, numbers


def _is_title(cells: dict[int, tuple[str, bool]], mapping: dict[str, str]) -> bool:
    """One text across the row (a title, a 学院：… line) that names no known column."""
    texts = {t for t, _cont in cells.values()}
    return len(texts) <= 1 and not any(field_for(t, mapping) for t in texts)


def _band_names(grid: dict[int, dict[int, tuple[str, bool]]], band: list[int]
                ) -> dict[int, tuple[str, bool]]:
    """Column -> (its lowest named cell in the band, whether that cell continues a merge to its left)."""
    names: dict[int, tuple[str, bool]] = {}
    for number in band:                     # top to bottom: a lower row overwrites
        names.update(grid[number])
    return names


def find_header(rows: list[tuple[int, tuple[Any, ...]]], merges: list[tuple[int, int, int, int]],
                mapping: dict[str, str]) -> Header | None:
    """The best header band in the first rows, or None when no band names an identity column."""
    grid, numbers = _grid(rows, merges)
    best: tuple[int, int, Header] | None = None
    for position, last in enumerate(numbers[:SCAN_ROWS]):
        if not grid[last]:
            continue
        band = [last]
        for above in reversed(numbers[max(0, position - BAND + 1):position]):
            if not grid[above] or _is_title(grid[above], mapping):
                break
            band.insert(0, above)
        names = _band_names(grid, band)
        header = _header(band, names, mapping)
        found = {f for f in header.fields if f}
        if not found & set(KEY_FIELDS):
            continue
        if len(found) < 2 and len(names) > 1:
            continue
        score = (len(found), -len(band))
        if best is None or score > best[:2]:
            best = (*score, header)
    return best[2] if best else None


def _header(band: list[int], names: dict[int, tuple[str, bool]], mapping: dict[str, str]) -> Header:
    width = max(names) + 1 if names else 0
    shown: list[str | None] = [None] * width
    fields: list[str | None] = [None] * width
    seen: dict[str, int] = {}
    for col in range(width):
        if col not in names:
            continue
        text, continues = names[col]
        seen[text] = seen.get(text, 0) + 1
        if continues:       # the 2nd, 3rd... column under one horizontally merged name: an extra of its own
            shown[col] = f"{text} ({seen[text]})"
            continue
        shown[col] = text
        fields[col] = field_for(text, mapping)
    return Header(band[0], band[-1], shown, fields)
