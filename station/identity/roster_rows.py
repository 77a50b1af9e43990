"""Rows of a registrar's sheet that are not students: totals (合计), notes (注：…), sign-off lines, blank rows.

A school's export is a document as much as a table: a 合计 row at the bottom, a merged 说明 row under it, a
制表人/审核人 line to sign. Read as students they are either imported ("student number 合计, name 12人") or
fail the whole import ("name is empty"). They are recognised here by what a person sees in them, skipped, and
named in the import's notes, never counted as bad students.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

from config.i18n import N_, _, ngettext
from station.core.idnumber import id_number_problem, normalise_id_number
from station.identity.roster_columns import KEY_FIELDS, strip_invisible

TOTAL, NOTE, BLANK = "total", "note", "blank"
HEADER, SECTION = "header", "section"
#: what each kind of skipped row is called in the import notes (translated where shown)
KIND_LABELS = {TOTAL: N_("totals rows (合计/小计/共N人)"), NOTE: N_("note rows (注/说明/备注, sign-off lines)"),
               BLANK: N_("blank rows"), HEADER: N_("repeated header rows"),
               SECTION: N_("section title rows (one text, e.g. a class name)")}


def block_kind(raw: tuple[Any, ...], names: list[str | None], fields: list[str | None],
               merged_across: set[int]) -> str | None:
    """HEADER for the header repeated inside the data (one block per class), SECTION for a row with one text
    that is no student (a class title, merged across the sheet or outside the identity and name columns)."""
    same = 0
    for index, name in zip(range(len(raw)), names):
        if name is not None and fields[index] and isinstance(raw[index], str) and raw[index].strip() == name:
            same += 1
            if same == 2:
                return HEADER
    filled = -1
    for index, cell in enumerate(raw):
        if cell is not None and (not isinstance(cell, str) or cell.strip()):
            if filled >= 0:
                return None                  # two values or more: a student row (good or bad), not a title
            filled = index
    if filled >= 0:
        field = fields[filled] if filled < len(fields) else None
        if filled in merged_across or (field not in KEY_FIELDS and field != "name"):
            return SECTION
    return None
    same = sum(1 for i, c in filled if i < len(names) and names[i] is not None and fields[i]
               and str(c).strip() == names[i])
    if same >= 2 and same * 2 >= len(filled):
        return HEADER
    if len(filled) == 1:
        index = filled[0][0]
        field = fields[index] if index < len(fields) else None
        if index in merged_across or (field not in KEY_FIELDS and field != "name"):
            return SECTION
    return None

_TOTAL = re.compile(r"^(合计|总计|小计|共计|累计|总人数|人数合计)(?![\u4e00-\u9fff])"
                    r"|^共\d+(人|名|位)$|^(合计|总计|小计|共计)?\d+(人|名)$")
_TOTAL_WORD = re.compile(r"^(合计|总计|小计|共计|累计|总人数|人数合计)")
_NOTE = re.compile(r"^(注意?|说明|备注|附注|填表说明|特别说明)[\d一二三四五六七八九十]*([:：、.．)）]|$)"
                   r"|^(制表人?|填表人|审核人?|审批人?|经办人|负责人|联系人|打印日期|导出时间|制表日期|"
                   r"制表时间|签字|签名|盖章)[:：]")


def _texts(raw: tuple[Any, ...]) -> list[tuple[int, str]]:
    """(column index, text) of the row's non-empty cells, compared without spaces and invisible characters."""
    found = []
    for index, cell in enumerate(raw):
        if cell is None:
            continue
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", strip_invisible(str(cell))))
        if text:
            found.append((index, text))
    return found


#: first characters of every total or note marker above: a row without one is a student row (fast path)
_MARKER_FIRST = frozenset("合总小共累注说备附填特制审经负联打导签盖")


def _worth_a_look(raw: tuple[Any, ...]) -> bool:
    """False for the common row (a student): no marker in it and not blank. 20,000 rows must stay quick."""
    for cell in raw:
        if cell is None:
            continue
        if not isinstance(cell, str):
            return _any_marker(raw)
        text = cell.strip()
        if text and strip_invisible(text).strip():
            return _any_marker(raw)
    return True                      # blank (or only invisible characters)


def _any_marker(raw: tuple[Any, ...]) -> bool:
    for cell in raw:
        if isinstance(cell, str):
            text = cell.strip()
            if text and (text[0] in _MARKER_FIRST or (text[-1] in "人名位" and text[0].isdigit())):
                return True
    return False


def row_kind(raw: tuple[Any, ...], fields: list[str | None]) -> str | None:
    """TOTAL, NOTE or BLANK for a row that is not a student; None for a (possibly bad) student row.

    A row holding a valid ID number is a student whatever else it says. A note row starts with its marker
    (a merged note row has its text in the first cell only) and fills no other identity column.
    """
    if not _worth_a_look(raw):
        return None
    texts = _texts(raw)
    if not texts:
        return BLANK
    id_index = fields.index("id_number") if "id_number" in fields else None
    if id_index is not None and id_index < len(raw) and raw[id_index] not in (None, ""):
        if id_number_problem(normalise_id_number(str(raw[id_index]))) is None:
            return None
    if any(_TOTAL.match(text) for _i, text in texts) and (
            any(_TOTAL_WORD.match(text) for _i, text in texts) or len(texts) <= 2):
        return TOTAL
    first_index, first = texts[0]
    if _NOTE.match(first):
        keys = {i for i, f in enumerate(fields) if f in KEY_FIELDS}
        if not any(i in keys for i, _t in texts[1:]):
            return NOTE
    return None


def row_list(numbers: Iterable[int]) -> str:
    """15, 16, 17, 30 -> '15-17, 30': the way a registrar reads a list of rows."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def skip_notes(skipped: list[tuple[int, str]], cleaned: list[int]) -> list[str]:
    """One line per kind of skipped row and one for cleaned cells, naming the rows."""
    notes = []
    kinds = sorted({k for _r, k in skipped}, key=lambda k: min(r for r, kk in skipped if kk == k))
    for kind in kinds:                       # in the order the registrar meets them in the sheet
        rows = [r for r, k in skipped if k == kind]
        if rows:
            notes.append(ngettext("row {rows}: {what} skipped, not counted as students",
                                  "rows {rows}: {what} skipped, not counted as students", len(rows),
                                  rows=row_list(rows), what=_(KIND_LABELS[kind])))
    if cleaned:
        notes.append(ngettext("row {rows}: invisible characters (zero-width spaces, direction marks) removed",
                              "rows {rows}: invisible characters (zero-width spaces, direction marks) removed",
                              len(cleaned), rows=row_list(cleaned)))
    return notes
