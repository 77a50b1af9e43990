"""The report as text (terminal), CSV (Excel: UTF-8 with BOM) and JSON (scripts).

Names are shown (the registrar needs them); ID numbers only ever in their masked form.
"""
from __future__ import annotations

import io
import json
import unicodedata
from typing import Any, Sequence

from station.outputs.report import Report, StudentRow
from station.core import csvsafe

BOM = "\ufeff"

GROUP_HEADERS = ("college", "class", "roster", "checked in", "accepted", "of which submitted", "pending",
                 "rejected only", "not shot")
PERSON_HEADERS = ("student no", "name", "college", "class", "ID (masked)", "status")
SIGNOFF_HEADERS = ("station", "day", "shooting no", "student no", "name", "college", "class", "signature")
ACCEPTED_HEADERS = ("student no", "name", "college", "class", "source", "station", "take")


def _group_rows(report: Report) -> list[tuple[Any, ...]]:
    rows = [(g.college, g.class_name, g.roster, g.checked_in, g.accepted, g.submitted, g.pending,
             g.rejected_only, g.not_shot) for g in report.groups]
    t = report.totals()
    rows.append(("total", "", t.roster, t.checked_in, t.accepted, t.submitted, t.pending, t.rejected_only,
                 t.not_shot))
    return rows


def _person_rows(people: Sequence[StudentRow]) -> list[tuple[Any, ...]]:
    return [(s.student_no or s.code, s.name or "", s.college, s.class_name, s.masked_id, s.status)
            for s in people]


def _signoff_rows(report: Report) -> list[tuple[Any, ...]]:
    return [(r.station_id, r.day, r.shoot_no, r.student_no or r.code, r.name or "", r.college, r.class_name, "")
            for r in report.signoff]


def _accepted_rows(report: Report) -> list[tuple[Any, ...]]:
    return [(s.student_no or s.code, s.name or "", s.college, s.class_name, s.source or "", s.station_id or "",
             s.take_seq or "") for s in report.accepted]


def sections(report: Report) -> list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
    """(title, headers, rows) of every table, in the order all formats show them."""
    return [
        ("Per college and class", GROUP_HEADERS, _group_rows(report)),
        ("Paid but not photographed (refunds)", PERSON_HEADERS, _person_rows(report.refunds)),
        ("Photographed but not paid", PERSON_HEADERS, _person_rows(report.unpaid_photographed)),
        ("Accepted photos and their source", ACCEPTED_HEADERS, _accepted_rows(report)),
        ("Shooting-number sign-off sheet", SIGNOFF_HEADERS, _signoff_rows(report)),
    ]


# ----------------------------------------------------------------------------- text
def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(isinstance(r[i], int) for r in rows) and bool(rows) for i in range(len(headers))]
    lines = ["  ".join(_pad(c, widths[i], numeric[i]) for i, c in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_text(report: Report) -> str:
    out = [f"Report over {len(report.workspaces)} workspace(s): " + ", ".join(report.workspaces)]
    for title, headers, rows in sections(report):
        out.append("")
        count = "" if headers is GROUP_HEADERS else f" ({len(rows)})"
        out.append(f"== {title}{count}")
        out.append(text_table(headers, rows) if rows else "(none)")
    if report.conflicts:
        out.append("")
        out.append("== Accepted at more than one station (resolve before export)")
        out.extend(f"{c.code}: takes {', '.join(c.takes)}" for c in report.conflicts)
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- csv
def render_csv(report: Report) -> str:
    """One sheet with a titled block per table; the BOM makes Excel read the Chinese right."""
    buf = io.StringIO()
    writer = csvsafe.writer(buf, lineterminator="\r\n")   # formula-looking cells as text
    for title, headers, rows in sections(report):
        writer.writerow([title])
        writer.writerow(headers)
        writer.writerows(rows)
        writer.writerow([])
    return BOM + buf.getvalue()


# ----------------------------------------------------------------------------- json
def _person(s: StudentRow) -> dict[str, Any]:
    return {"code": s.code, "student_no": s.student_no, "name": s.name, "college": s.college,
            "class": s.class_name, "id_number": s.masked_id or None, "paid": s.paid, "checked_in": s.checked_in,
            "status": s.status, "source": s.source, "station_id": s.station_id, "take_seq": s.take_seq,
            "photo": str(s.photo) if s.photo else None}


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "workspaces": list(report.workspaces),
        "colleges_filter": list(report.colleges_filter),
        "groups": [g.as_dict() for g in report.groups],
        "totals": report.totals().as_dict(),
        "refunds": [_person(s) for s in report.refunds],
        "unpaid_photographed": [_person(s) for s in report.unpaid_photographed],
        "signoff": [{"station_id": r.station_id, "day": r.day, "shoot_no": r.shoot_no, "code": r.code,
                     "student_no": r.student_no, "name": r.name, "college": r.college, "class": r.class_name}
                    for r in report.signoff],
        "students": [_person(s) for s in report.students],
        "conflicts": [{"code": c.code, "takes": list(c.takes)} for c in report.conflicts],
    }


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n"
