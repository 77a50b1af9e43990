"""Roster import and listing: a school's list of graduates, validated as a whole before anything is written.

A half-imported roster is worse than none (some students "not in the roster" at the desk, for no visible
reason), so a file with any invalid row imports nothing unless the operator explicitly asks for the good
rows only. Every bad row is reported with the row number the registrar sees in Excel.

Rules (also in `station roster import --help`):
- a row needs a student number, an ID number or a 采集码; its subject code is the first of these present;
- every sheet of a workbook is read (or the ones named with --sheet); a sheet without a recognisable header
  (a 说明 sheet, an empty one) is skipped and named; a header may be 1-3 rows under a title, merged cells
  both ways (station.identity.roster_header);
- the header must have a name column (姓名/名字/..., or one mapped with --map), and every row a name;
- ID numbers must pass the GB 11643 check digit; student numbers, ID numbers and 采集码 are unique in the file;
- a row must not take a student number, ID number or code that belongs to another existing subject;
- totals (合计/小计/共N人), notes (注：/说明/备注, sign-off lines) and blank rows between students are skipped
  and named in the notes, not counted as bad rows (station.identity.roster_rows); invisible characters
  (zero-width spaces, direction marks) are removed from cells, control and bidi-override characters refused.
A row updates the existing subject with the same student number, else the same ID number, else the same code
(Store.upsert_subjects), which keeps its id and so every photo bound to it.
"""
from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from config.i18n import N_, _, ngettext
from station.core.errors import RosterError
from station.core.idnumber import id_number_problem, mask_code, mask_id_number, normalise_id_number
from station.store.models import STATUSES, Subject, match_keys, roster_unchanged
from station.identity.roster_columns import (ALIASES, FIELD_LABELS, FIELDS, KEY_FIELDS, CellProblem, cell_text,
                                             field_for, has_invisible, parse_mapping, parse_paid)
from station.identity.roster_rows import BLANK, block_kind, row_kind, row_list, skip_notes
from station.identity.workbook_limits import LIMITS
from station.identity.roster_header import SCAN_ROWS, Header, find_header
from station.identity.roster_source import Table, read_tables
from station.identity.xlsx_reader import column_letters
from station.store.workspace import Store

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
_LABEL = {**FIELD_LABELS, "code": N_("code")}


@dataclass(frozen=True, order=True)
class RowRef:
    """A row of the file: its sheet (in tab order) and the row number the registrar sees in Excel.

    Shown as the bare number when the file has one table (a CSV, a one-sheet workbook), else as
    `sheet!row`, Excel's own way of naming a cell on another sheet.
    """
    sheet_index: int
    number: int
    sheet: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return str(self.number) if self.sheet is None else f"{self.sheet}!{self.number}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.number, **({"sheet": self.sheet} if self.sheet is not None else {})}


def _ref(row: Any) -> RowRef:
    return row if isinstance(row, RowRef) else RowRef(0, int(row))


@dataclass(frozen=True)
class RosterRow:
    """One valid data row: `values` has `code`, the subject fields present and `extra`."""
    row: RowRef
    values: dict[str, Any]


@dataclass
class SheetPart:
    """What one sheet gave: its header band, its column mapping and the rows that were not students."""
    name: str                       # sheet name ('' for a CSV)
    header_first: int
    header_row: int
    columns: dict[str, str]         # field -> header as written
    extra_columns: list[str]
    data_rows: int
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)
    cleaned_rows: list[int] = field(default_factory=list)
    #: (column index, rows) of values in a column that has no header: not imported, and said so
    unnamed: list[tuple[int, list[int]]] = field(default_factory=list)

    def notes(self) -> list[str]:
        return [*skip_notes(self.skipped_rows, self.cleaned_rows),
                *(ngettext("column {column} has no header: its value on row {rows} is not imported",
                           "column {column} has no header: its values on rows {rows} are not imported",
                           len(numbers), column=column_letters(col), rows=row_list(numbers))
                  for col, numbers in self.unnamed)]

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.name, "header_rows": [self.header_first, self.header_row], "columns": self.columns,
                "extra_columns": self.extra_columns, "rows": self.data_rows}


@dataclass
class ParsedRoster:
    """A roster file after reading and row-by-row validation (nothing written yet)."""
    file: str
    kind: str                       # csv | xlsx | xls
    detail: str                     # encoding or the first read sheet's name
    header_row: int                 # the first read sheet's last header row
    columns: dict[str, str]         # field -> header as written in the file (first sheet that names it)
    extra_columns: list[str]
    rows: list[RosterRow]
    problems: list[tuple[RowRef, str]]
    data_rows: int                  # student rows below the header (good and bad)
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, total|note|blank): not students
    cleaned_rows: list[int] = field(default_factory=list)              # rows whose invisible characters went
    sheets: list[SheetPart] = field(default_factory=list)              # every sheet read as students
    skipped_sheets: list[tuple[str, str]] = field(default_factory=list)  # (sheet, why): not read as students

    @property
    def bad_rows(self) -> set[RowRef]:
        return {r for r, _why in self.problems}

    def notes(self) -> list[str]:
        """The lines that tell the registrar which rows and sheets were not read as students, and why."""
        notes = [_("sheet {sheet!r} skipped: {reason}", sheet=name, reason=why) for name, why in self.skipped_sheets]
        if len(self.sheets) <= 1:
            return notes + (self.sheets[0].notes() if self.sheets else [])
        for part in self.sheets:
            notes += [_("sheet {sheet!r}: {note}", sheet=part.name, note=n) for n in part.notes()]
        return notes


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""
    parsed: ParsedRoster
    counts: dict[str, int]          # added, updated, unchanged
    problems: list[tuple[RowRef, str]]  # invalid rows and conflicts with existing subjects, by row
    dry_run: bool
    imported_rows: int
    not_in_file: int = 0            # roster subjects already in the workspace that this file does not list
    skipped: list[RowRef] = field(default_factory=list)
    changes: list[IdentityChange] = field(default_factory=list)   # confirmed with allow_changes

    def get(self, key: str, default: int | None = None) -> int | None:
        """counts[key]: lets callers that treat the result as the upsert counts dict keep working."""
        return self.counts.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.parsed.file, "kind": self.parsed.kind, "detail": self.parsed.detail,
                "header_row": self.parsed.header_row, "columns": self.parsed.columns,
                "extra_columns": self.parsed.extra_columns, "rows": self.parsed.data_rows,
                "sheets": [p.as_dict() for p in self.parsed.sheets],
                "skipped_sheets": [{"sheet": n, "reason": why} for n, why in self.parsed.skipped_sheets],
                "imported_rows": self.imported_rows, "dry_run": self.dry_run, **self.counts,
                "not_in_file": self.not_in_file,
                "skipped_rows": [r.number if r.sheet is None else r.as_dict() for r in self.skipped],
                "not_students": [{"row": r, "kind": k} for r, k in self.parsed.skipped_rows],
                "cleaned_rows": self.parsed.cleaned_rows, "notes": self.parsed.notes(),
                "problems": [{**_ref(r).as_dict(), "reason": why} for r, why in self.problems],
                "identity_changes": [{**c.row.as_dict(), "code": c.subject.code, "takes": list(c.takes),
                                      "fields": {f: list(v) for f, v in c.fields.items()}} for c in self.changes]}


# ------------------------------------------------------------------------------------------------ parsing
def parse_roster(path: Path, *, sheet: str | None = None, sheets: tuple[str, ...] | list[str] = (),
                 mapping: dict[str, str] | None = None, progress: Progress | None = None) -> ParsedRoster:
    """Read and validate every sheet of a roster file (or the `sheets` named); only an unusable file raises.

    A sheet with no recognisable header is skipped and named in the notes (a 说明 sheet, an empty Sheet3);
    a sheet the user named, or the only table of the file, must have one.
    """
    mapping = mapping or {}
    wanted = list(sheets) or ([sheet] if sheet else [])
    tables = read_tables(path, wanted)
    if progress:
        progress(_("read {count} rows from {file}", count=sum(len(t.rows) for t in tables), file=path.name))
    several = len(tables) > 1
    parts: list[SheetPart] = []
    skipped_sheets: list[tuple[str, str]] = []
    rows: list[RosterRow] = []
    problems: list[tuple[RowRef, str]] = []
    for index, table in enumerate(tables):
        where = str(path) if table.kind == "csv" or not several else _("{file}, sheet {sheet!r}", file=path,
                                                                       sheet=table.detail)
        reason = _sheet_unusable(table)
        header = None if reason else find_header(table.rows, table.merges, mapping)
        if header is None:
            if not several or wanted:
                raise reason_error(where, reason) if reason else _no_header(table, where)
            skipped_sheets.append((table.detail, reason or _no_header_reason(table)))
            continue
        part, sheet_rows, sheet_problems = _parse_sheet(table, header, RowRef(index, 0, table.detail if several
                                                                                else None), where)
        parts.append(part)
        rows += sheet_rows
        problems += sheet_problems
    if not parts:
        raise RosterError(_("{file}: no sheet has a header row with a 学号, 身份证号 or 采集码 column", file=path),
                          problems=[(RowRef(i, 0, n), why) for i, (n, why) in enumerate(skipped_sheets)],
                          hint=_('name the columns with --map, e.g. --map "工号=student_no"'))
    if len(parts) > 1 and not wanted:
        for name in _repeating_sheets(parts, rows):
            skipped_sheets.append((name, _("it repeats students of the other sheets (a summary sheet?); read it"
                                           " alone with --sheet")))
            parts = [p for p in parts if p.name != name]
            rows = [r for r in rows if r.row.sheet != name]
            problems = [(r, why) for r, why in problems if r.sheet != name]
    problems.extend(_duplicates(rows))  # over every row of every sheet: both rows of a pair are reported
    bad = {r for r, _why in problems}
    rows = [r for r in rows if r.row not in bad]
    problems.sort(key=lambda p: p[0])
    data_rows = sum(p.data_rows for p in parts)
    if progress:
        progress(_("validated {count} rows: {bad} invalid", count=data_rows, bad=len(bad)))
    first = parts[0]
    columns: dict[str, str] = {}
    extras: list[str] = []
    for part in parts:
        for f, h in part.columns.items():
            columns.setdefault(f, h)
        extras += [h for h in part.extra_columns if h not in extras]
    one = len(parts) == 1
    return ParsedRoster(file=path.name + (f"#{first.name}" if table.kind != "csv" and one and wanted else ""),
                        kind=tables[0].kind, detail=first.name or tables[0].detail, header_row=first.header_row,
                        columns=columns, extra_columns=extras, rows=rows, problems=problems,
                        data_rows=data_rows,
                        skipped_rows=first.skipped_rows if one else [],
                        cleaned_rows=first.cleaned_rows if one else [],
                        sheets=parts, skipped_sheets=skipped_sheets)


def _merged_down(table: Table, header_last: int) -> dict[int, dict[int, Any]]:
    """Row -> {column: value} for cells under a merge that runs down the data rows (学院 merged over its
    students): the merged value counts for every row it covers. Merges across one row (a note) are left alone.
    """
    if not table.merges:
        return {}
    first = {number: cells for number, cells in table.rows if number > header_last}
    fills: dict[int, dict[int, Any]] = defaultdict(dict)
    for r1, c1, r2, c2 in table.merges:
        if r2 <= r1 or r1 <= header_last or r2 - r1 > LIMITS.rows:
            continue
        top = first.get(r1, ())
        value = top[c1] if c1 < len(top) else None
        if value in (None, ""):
            continue
        for r in range(r1 + 1, r2 + 1):
            fills[r][c1] = value
    return fills


def _filled(raw: tuple[Any, ...], fill: dict[int, Any]) -> tuple[Any, ...]:
    cells = list(raw) + [None] * (max(fill) + 1 - len(raw)) if max(fill) >= len(raw) else list(raw)
    for col, value in fill.items():
        if cells[col] in (None, ""):
            cells[col] = value
    return tuple(cells)


def _repeating_sheets(parts: list[SheetPart], rows: list[RosterRow]) -> list[str]:
    """Sheets whose every student is also on another sheet: a 汇总/总表 sheet beside one sheet per college, or
    a copy of a sheet. The widest such sheet goes first, then the rest are looked at again."""
    codes: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r.row.sheet is not None and r.values.get("code"):
            codes[r.row.sheet].add(r.values["code"])
    left = [p.name for p in parts if codes.get(p.name)]
    gone: list[str] = []
    while len(left) > 1:
        repeating = [n for n in left if codes[n] <= set().union(*(codes[o] for o in left if o != n))]
        if not repeating:
            break
        widest = max(repeating, key=lambda n: (len(codes[n]), -left.index(n)))
        gone.append(widest)
        left.remove(widest)
    return gone


def _sheet_unusable(table: Table) -> str | None:
    """Why a sheet cannot hold students before looking for a header: a chart, or no cells at all."""
    if table.chart:
        return _("a chart sheet, no cells")
    if not any(any(c not in (None, "") for c in cells) for _n, cells in table.rows):
        return _("the sheet is empty")
    return None


def reason_error(where: str, reason: str) -> RosterError:
    return RosterError(_("{file}: {reason}", file=where, reason=reason))


def _first_texts(table: Table) -> list[str]:
    for _n, cells in table.rows[:SCAN_ROWS]:
        texts = [str(c).strip() for c in cells if c not in (None, "") and str(c).strip()]
        if texts:
            return texts
    return []


def _no_header_reason(table: Table) -> str:
    seen = _first_texts(table)
    return (_("no header row with a 学号, 身份证号 or 采集码 column in the first {count} rows", count=SCAN_ROWS)
            + (_(" (first row: {cells})", cells=", ".join(seen[:8])) if seen else _(" (the file is empty)")))


def _no_header(table: Table, where: str) -> RosterError:
    return RosterError(_("{file}: {reason}", file=where, reason=_no_header_reason(table)),
                       hint=_('name the columns with --map, e.g. --map "工号=student_no"'))


def _parse_sheet(table: Table, header: Header, base: RowRef, where: str
                 ) -> tuple[SheetPart, list[RosterRow], list[tuple[RowRef, str]]]:
    """One sheet's student rows (valid or not) under its header; totals, notes and blanks set aside."""
    fields = header.fields
    names = header.names
    _refuse_doubled_columns(names, fields, where)
    columns = {f: str(names[i]) for i, f in enumerate(fields) if f}
    if "name" not in columns:
        found = ", ".join(f"{names[i]}->{f or 'extra'}" for i, f in enumerate(fields) if names[i]) or "-"
        raise RosterError(_("{file}: no name column (姓名) in the header (rows {rows}); columns found: {found}",
                            file=where, rows=header.rows_text, found=found),
                          hint=_('name the column that holds the names with --map, e.g. --map "名字=name"'))
    extras = [(i, str(n)) for i, (n, f) in enumerate(zip(names, fields)) if f is None and n]
    rows: list[RosterRow] = []
    problems: list[tuple[RowRef, str]] = []
    skipped: list[tuple[int, str]] = []
    cleaned: list[int] = []
    blanks: list[int] = []   # named only when a row follows them (Excel keeps formatted empty rows at the end)
    data_rows = 0
    fills = _merged_down(table, header.last_row)
    across: dict[int, set[int]] = defaultdict(set)          # row -> first columns of merges across it
    for r1, c1, _r2, c2 in table.merges:
        if c2 > c1 and r1 > header.last_row:
            across[r1].add(c1)
    width = len(names)
    unnamed: dict[int, list[int]] = defaultdict(list)      # column without a header -> rows with a value there
    for number, raw in table.rows:
        if number <= header.last_row:
            continue
        if number in fills:
            raw = _filled(raw, fills[number])
        kind = row_kind(raw, fields) if number not in table.broken else None
        if kind is None and number not in table.broken:
            kind = block_kind(raw, names, fields, across.get(number, set()))
        if kind is None and len(raw) > 0:
            for col, value in enumerate(raw):
                if value not in (None, "") and (col >= width or names[col] is None):
                    unnamed[col].append(number)
        if kind == BLANK:
            blanks.append(number)
            continue
        skipped.extend((b, BLANK) for b in blanks)
        blanks.clear()
        if kind is not None:
            skipped.append((number, kind))
            continue
        data_rows += 1
        ref = RowRef(base.sheet_index, number, base.sheet)
        if number in table.broken:
            problems.append((ref, table.broken[number]))
            continue
        row, row_problems = _parse_row(ref, raw, fields, extras, has_name=True)
        if row is None:  # pragma: no cover - row_kind has already taken every blank row
            continue
        if any(has_invisible(c) for c in raw):
            cleaned.append(number)
        rows.append(row)
        problems.extend((ref, why) for why in row_problems)
    part = SheetPart(table.detail if table.kind != "csv" else "", header.first_row, header.last_row, columns,
                     [h for _i, h in extras], data_rows, skipped, cleaned,
                     unnamed=[(col, numbers) for col, numbers in sorted(unnamed.items())])
    return part, rows, problems


def _refuse_doubled_columns(cells: list[str | None], fields: list[str | None], name: str) -> None:
    """Two columns meaning the same field (学院 and 院系) would silently pick one: ask instead."""
    first: dict[str, str] = {}
    for cell, f in zip(cells, fields):
        if f is None:
            continue
        if f in first:
            raise RosterError(_("{file}: columns {first!r} and {second!r} both mean {field}", file=name,
                                first=first[f], second=str(cell).strip(), field=f),
                              hint=_('keep one out with --map "{header}=extra"', header=str(cell).strip()))
        first[f] = str(cell).strip()


def _parse_row(number: RowRef, raw: tuple[Any, ...], fields: list[str | None], extras: list[tuple[int, str]],
               *, has_name: bool) -> tuple[RosterRow | None, list[str]]:
    """(row, problems) for one data row (the row is kept for duplicate checks); (None, []) if blank."""
    values: dict[str, Any] = {}
    broken: set[str] = set()
    problems: list[str] = []
    for index, f in enumerate(fields):
        if f is None:
            continue
        try:
            text = cell_text(raw[index] if index < len(raw) else None, f)
        except CellProblem as exc:
            problems.append(str(exc))
            broken.add(f)  # present but unusable: the row is not blank
            continue
        if text:
            values[f] = text
    extra: dict[str, str] = {}
    for index, header in extras:
        try:
            text = cell_text(raw[index] if index < len(raw) else None, None)
        except CellProblem as exc:  # a control or bidi-override character in any column refuses the row
            problems.append(_("column {header}: {reason}", header=header, reason=exc))
            broken.add(header)
            continue
        if text:
            extra[header] = text
    if not values and not extra and not broken:
        return None, []
    if "id_number" in values:
        values["id_number"] = normalise_id_number(values["id_number"])
        problem = id_number_problem(values["id_number"])
        if problem:
            problems.append(f"{problem} ({mask_id_number(values['id_number'])})")
    if "paid" in values:
        try:
            values["paid"] = parse_paid(values["paid"])
        except CellProblem as exc:
            problems.append(str(exc))
    if not any(values.get(k) or k in broken for k in KEY_FIELDS):
        problems.append(_("no student number, ID number or 采集码: the row cannot be identified at the desk"))
    if has_name and not values.get("name") and "name" not in broken:
        problems.append(_("name is empty"))
    code = next((values[k] for k in KEY_FIELDS if values.get(k)), None)
    return RosterRow(number, {"code": code, **{f: values.get(f) for f in FIELDS}, "extra": extra}), problems


def _duplicates(rows: list[RosterRow]) -> list[tuple[int, str]]:
    """Rows sharing a student number, ID number, 采集码 or code: every one of them is reported."""
    problems: list[tuple[int, str]] = []
    flagged: set[int] = set()
    for key in (*KEY_FIELDS, "code"):
        where: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            if r.values.get(key):
                where[r.values[key]].append(r.row)
        for value, numbers in where.items():
            if len(numbers) < 2:
                continue
            for n in numbers:
                if key == "code" and n in flagged:
                    continue
                others = ", ".join(str(o) for o in numbers if o != n)
                shown = mask_id_number(value) if key == "id_number" else value
                problems.append((n, _("duplicate {field} {value} (also on row {others})", field=_(_LABEL[key]),
                                      value=shown, others=others)))
                flagged.add(n)
    return problems


# ------------------------------------------------------------------------------------------------ planning
#: the fields that say who is in a photo: a re-import changing one of them for a student with takes must be confirmed
IDENTITY_FIELDS = ("student_no", "name", "college")


@dataclass(frozen=True)
class IdentityChange:
    """A row that changes who an existing student with takes is (the photos would follow silently)."""
    row: RowRef
    subject: Subject
    fields: dict[str, tuple[str, str]]      # field -> (old, new)
    takes: tuple[int, ...]                  # the student's takes (seq), not void

    def reason(self) -> str:
        what = ", ".join(_("{field} {old} -> {new}", field=_(_LABEL[f]), old=old, new=new or "-")
                         for f, (old, new) in self.fields.items())
        return _("changes {what} of {code}, who already has takes {takes}: the photos would follow the new"
                 " identity", what=what, code=self.subject.code, takes=", ".join(str(t) for t in self.takes))

    def as_journal(self) -> dict[str, Any]:
        return {"subject_id": self.subject.id, "takes": list(self.takes),
                "fields": {f: list(v) for f, v in self.fields.items()}}


def identity_changes(store: Store, rows: list[RosterRow]) -> list[IdentityChange]:
    """Rows that would change the student number, name or college of a student who already has takes."""
    with_takes = store.take_counts()
    if not with_takes:
        return []
    index: dict[str, dict[str, Subject]] = {"code": {}, "student_no": {}, "id_number": {}}
    for e in store.subjects():
        if e.id not in with_takes:
            continue
        index["code"][e.code] = e
        for key in ("student_no", "id_number"):
            if getattr(e, key) is not None:
                index[key][getattr(e, key)] = e
    changes = []
    for r in rows:
        target = _match(index, r.values)
        if target is None:
            continue
        fields = {f: (str(getattr(target, f)), str(r.values.get(f) or "")) for f in IDENTITY_FIELDS
                  if getattr(target, f) not in (None, "") and getattr(target, f) != r.values.get(f)}
        if fields:
            takes = tuple(t.seq for t in store.takes(subject_id=target.id, include_void=False))
            changes.append(IdentityChange(r.row, target, fields, takes))
    return changes


def plan_rows(store: Store, rows: list[RosterRow]) -> tuple[dict[str, int], list[tuple[int, str]], int]:
    """Compare valid rows with the workspace: (counts, conflicts by row, roster subjects not in the file).

    Uses the writer's own matching rule (`match_keys`: student number, else ID number, else code, else 采集码)
    so that a conflict is reported here, with its row number, instead of failing on a UNIQUE index.
    """
    existing = store.subjects()
    index: dict[str, dict[str, Subject]] = {"code": {}, "student_no": {}, "id_number": {}}
    for e in existing:
        index["code"][e.code] = e
        for key in ("student_no", "id_number"):
            if getattr(e, key) is not None:
                index[key][getattr(e, key)] = e
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    conflicts: list[tuple[int, str]] = []
    targets: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        target = _match(index, r.values)
        bad = False
        for key in ("code", "student_no", "id_number"):
            value = r.values.get(key)
            holder = index[key].get(value) if value else None
            if holder is not None and holder is not target:
                shown = mask_id_number(value) if key == "id_number" else value
                conflicts.append((r.row, _("{field} {value} already belongs to subject {code}", field=_(_LABEL[key]),
                                           value=shown, code=holder.code)
                                  + (_(" (this row updates {code})", code=target.code) if target else "")))
                bad = True
        if target is not None:
            targets[target.id].append(r.row)
        if bad:
            continue
        if target is None:
            counts["added"] += 1
        elif roster_unchanged(target, r.values):
            counts["unchanged"] += 1
        else:
            counts["updated"] += 1
    for subject_id, numbers in targets.items():
        if len(numbers) > 1:
            code = next(e.code for e in existing if e.id == subject_id)
            for n in numbers:
                others = ", ".join(str(o) for o in numbers if o != n)
                conflicts.append((n, _("updates the same existing subject {code} as row {others}", code=code,
                                       others=others)))
    touched = set(targets)
    not_in_file = sum(1 for e in existing if e.in_roster and e.id not in touched)
    return counts, sorted(conflicts), not_in_file


def _match(index: dict[str, dict[str, Subject]], values: dict[str, Any]) -> Subject | None:
    """The existing subject a row updates, by the writer's own matching rule (`match_keys`)."""
    for key, value in match_keys(values):
        if value in index[key]:
            return index[key][value]
    return None


# ------------------------------------------------------------------------------------------------ import
def import_roster(store: Store, path: Path, *, sheet: str | None = None, sheets: tuple[str, ...] | list[str] = (),
                  mapping: list[str] | tuple[str, ...] = (), skip_invalid: bool = False, dry_run: bool = False,
                  allow_changes: bool = False, operator: str | None = None,
                  progress: Progress | None = None) -> ImportReport:
    """Validate a roster file and write its subjects in one transaction (all rows or none).

    Raises RosterError (with every problem by row) when a row is invalid or conflicts with an existing
    subject, unless `skip_invalid`, which writes the good rows and reports the rest. `dry_run` writes nothing.
    """
    parsed = parse_roster(path, sheet=sheet, sheets=sheets, mapping=parse_mapping(list(mapping)), progress=progress)
    if parsed.data_rows == 0:
        raise RosterError(_("{file}: no data rows below the header (row {row})", file=parsed.file,
                            row=parsed.header_row))
    counts, conflicts, not_in_file = plan_rows(store, parsed.rows)
    changes = identity_changes(store, parsed.rows)
    if not allow_changes:
        conflicts = conflicts + [(c.row, c.reason()) for c in changes]
    problems = sorted(parsed.problems + conflicts, key=lambda p: p[0])
    bad = {r for r, _why in problems}
    good = [r for r in parsed.rows if r.row not in bad]
    if problems and not skip_invalid:
        raise RosterError(_("{file}: {bad} of {count} rows invalid; nothing imported", file=parsed.file,
                            bad=len(bad), count=parsed.data_rows),
                          problems=problems,
                          hint=_("fix the rows and import again, or use --skip-invalid to import the good rows")
                          + (_("; if the students really changed, confirm with --allow-changes (journalled)")
                             if changes and not allow_changes else ""))
    if not good:
        raise RosterError(_("{file}: none of the {count} rows is valid; nothing imported", file=parsed.file,
                            count=parsed.data_rows),
                          problems=problems)
    if conflicts and skip_invalid:
        counts, _conflicts, not_in_file = plan_rows(store, good)
    changes = [c for c in changes if c.row not in bad]
    report = ImportReport(parsed, counts, problems, dry_run, len(good), not_in_file, sorted(bad), changes)
    if dry_run:
        return report
    if changes:
        store.confirm_roster_changes([c.as_journal() for c in changes], source_file=parsed.file, operator=operator)
    if progress:
        progress(_("writing {count} subjects", count=len(good)))
    try:
        report.counts = store.upsert_subjects([r.values for r in good], source_file=parsed.file,
                                              operator=operator)
    except sqlite3.IntegrityError as exc:  # a conflict the plan did not foresee: the transaction rolled back
        raise RosterError(_("{file}: conflicts with subjects already in the workspace ({reason}); nothing imported",
                            file=parsed.file, reason=exc)) from exc
    log.info("roster %s imported: %s (%d rows skipped)", parsed.file, report.counts, len(bad))
    return report


# ------------------------------------------------------------------------------------------------ listing
@dataclass(frozen=True)
class RosterEntry:
    """A subject with where it stands today: status and its latest shooting number."""
    subject: Subject
    status: str
    shoot_no: int | None
    shoot_day: str | None
    shoot_station: str | None

    def as_dict(self) -> dict[str, Any]:
        return {**self.subject.public_dict(), "code": mask_code(self.subject.code),
                "in_roster": self.subject.in_roster, "status": self.status,
                "shoot_no": self.shoot_no, "shoot_day": self.shoot_day, "shoot_station": self.shoot_station}


def list_roster(store: Store, *, college: str | None = None, status: str | None = None,
                paid: bool | None = None) -> list[RosterEntry]:
    """Subjects (roster and scanned) with status; filters combine. Ordered by college, class, number."""
    if status is not None and status not in STATUSES:
        raise RosterError(_("unknown status {status!r} (one of {statuses})", status=status,
                            statuses=", ".join(STATUSES)))
    statuses = store.statuses()
    latest: dict[int, tuple[int | None, str, str]] = {}
    for record in store.check_ins():
        latest[record.subject_id] = (record.shoot_no, record.day, record.station_id)
    entries = []
    for subject in store.subjects(college):
        state = statuses.get(subject.id, "unshot")
        if status is not None and state != status:
            continue
        if paid is not None and subject.paid is not paid:
            continue
        no, day, station = latest.get(subject.id, (None, None, None))
        entries.append(RosterEntry(subject, state, no, day, station))
    return entries


def header_aliases() -> dict[str, list[str]]:
    """Known headers per field, for help texts and documentation."""
    return {f: list(a) for f, a in ALIASES.items()}


__all__ = ["ImportReport", "ParsedRoster", "RosterEntry", "RosterRow", "STATUSES", "import_roster",
           "list_roster", "parse_roster", "plan_rows"]
