"""The report as text (terminal), CSV (Excel: UTF-8 with BOM) and JSON (scripts).

Names are shown (the registrar needs them); ID numbers only ever in their masked form.
"""
from __future__ import annotations

import io
import json
import unicodedata
from typing import Any, Sequence

from config.i18n import N_, _, ngettext
from station.outputs.report import Report, SignoffRow, StudentRow
from station.core import csvsafe

BOM = "\ufeff"

# Headers and titles are marked here and translated where shown (every format: text, CSV, HTML, XLSX).
SIGNATURE = N_("signature")
GROUP_HEADERS = (N_("college"), N_("class"), N_("roster"), N_("checked in"), N_("accepted"),
                 N_("of which submitted"), N_("pending"), N_("rejected only"), N_("not shot"))
NOTE = N_("note")
PERSON_HEADERS = (N_("student no"), N_("name"), N_("college"), N_("class"), N_("ID (masked)"), N_("status"), NOTE)
SIGNOFF_HEADERS = (N_("station"), N_("day"), N_("shooting no"), N_("student no"), N_("name"), N_("college"),
                   N_("class"), NOTE, SIGNATURE)
ACCEPTED_HEADERS = (N_("student no"), N_("name"), N_("college"), N_("class"), N_("source"), N_("station"),
                    N_("take"), NOTE)
#: a student checked in without being on the roster, as every output marks them
WALK_IN_LABEL = N_("walk-in (not on the roster)")
TITLES = {"groups": N_("Per college and class"), "refunds": N_("Paid but not photographed (refunds)"),
          "unpaid": N_("Photographed but not paid"), "accepted": N_("Accepted photos and their source"),
          "signoff": N_("Shooting-number sign-off sheet"),
          "conflicts": N_("Accepted at more than one station (resolve before export)")}
#: a student's status and a photo's source as the registrar reads them
STATUS_LABELS = {"unshot": N_("unshot"), "shot": N_("awaiting decision"), "rejected": N_("rejected"),
                 "accepted": N_("accepted"), "station": N_("station"), "submitted": N_("submitted"),
                 "scanned": N_("scanned, not photographed")}
TOTAL = N_("total")


def status_label(status: str | None) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else (status or "")


def person_note(s: StudentRow) -> str:
    """What the registrar must know beside a person's line (a walk-in is checked by hand)."""
    return _(WALK_IN_LABEL) if s.walk_in else ""


def signoff_note(r: SignoffRow) -> str:
    """The sign-off line's state: photographed (and the decision), or scanned but not photographed; who the
    number was scanned for when the photo was rebound, and where a scanned student's photo went."""
    parts = [status_label(r.status)]
    if r.rebound_from:
        parts.append(_("rebound from {who}", who=r.rebound_from))
    if r.rebound_to:
        parts.append(_("photo rebound to {who}", who=", ".join(r.rebound_to)))
    if r.walk_in:
        parts.append(_(WALK_IN_LABEL))
    return "; ".join(parts)


def signoff_cells(r: SignoffRow) -> tuple[Any, ...]:
    return (r.station_id, r.day, r.shoot_no if r.shoot_no is not None else "", r.student_no or r.code,
            r.name or "", r.college, r.class_name, signoff_note(r), "")


def translated(headers: Sequence[str]) -> tuple[str, ...]:
    return tuple(_(h) for h in headers)


def _group_rows(report: Report) -> list[tuple[Any, ...]]:
    rows = [(g.college, g.class_name, g.roster, g.checked_in, g.accepted, g.submitted, g.pending,
             g.rejected_only, g.not_shot) for g in report.groups]
    t = report.totals()
    rows.append((_(TOTAL), "", t.roster, t.checked_in, t.accepted, t.submitted, t.pending, t.rejected_only,
                 t.not_shot))
    return rows


def _person_rows(people: Sequence[StudentRow]) -> list[tuple[Any, ...]]:
    return [(s.student_no or s.code, s.name or "", s.college, s.class_name, s.masked_id, status_label(s.status),
             person_note(s)) for s in people]


def _signoff_rows(report: Report) -> list[tuple[Any, ...]]:
    return [signoff_cells(r) for r in report.signoff]


def _accepted_rows(report: Report) -> list[tuple[Any, ...]]:
    return [(s.student_no or s.code, s.name or "", s.college, s.class_name, status_label(s.source),
             s.station_id or "", s.take_seq or "", person_note(s)) for s in report.accepted]


def sections(report: Report) -> list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
    """(title, headers, rows) of every table, in the order all formats show them, in the current language."""
    return [
        (_(TITLES["groups"]), translated(GROUP_HEADERS), _group_rows(report)),
        (_(TITLES["refunds"]), translated(PERSON_HEADERS), _person_rows(report.refunds)),
        (_(TITLES["unpaid"]), translated(PERSON_HEADERS), _person_rows(report.unpaid_photographed)),
        (_(TITLES["accepted"]), translated(ACCEPTED_HEADERS), _accepted_rows(report)),
        (_(TITLES["signoff"]), translated(SIGNOFF_HEADERS), _signoff_rows(report)),
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
    out = [ngettext("Report over {n} workspace: {names}", "Report over {n} workspaces: {names}",
                    len(report.workspaces), names=", ".join(report.workspaces))]
    for index, (title, headers, rows) in enumerate(sections(report)):
        out.append("")
        count = "" if index == 0 else f" ({len(rows)})"
        out.append(f"== {title}{count}")
        out.append(text_table(headers, rows) if rows else _("(none)"))
    if report.conflicts:
        out.append("")
        out.append("== " + _(TITLES["conflicts"]))
        out.extend(_("{code}: takes {takes}", code=c.code, takes=", ".join(c.takes)) for c in report.conflicts)
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
            "photo": str(s.photo) if s.photo else None, "in_roster": s.in_roster, "walk_in": s.walk_in}


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "workspaces": list(report.workspaces),
        "colleges_filter": list(report.colleges_filter),
        "groups": [g.as_dict() for g in report.groups],
        "totals": report.totals().as_dict(),
        "refunds": [_person(s) for s in report.refunds],
        "unpaid_photographed": [_person(s) for s in report.unpaid_photographed],
        "signoff": [{"station_id": r.station_id, "day": r.day, "shoot_no": r.shoot_no, "code": r.code,
                     "student_no": r.student_no, "name": r.name, "college": r.college, "class": r.class_name,
                     "status": r.status, "takes": list(r.takes), "rebound_from": r.rebound_from,
                     "rebound_to": list(r.rebound_to), "walk_in": r.walk_in}
                    for r in report.signoff],
        "students": [_person(s) for s in report.students],
        "conflicts": [{"code": c.code, "takes": list(c.takes)} for c in report.conflicts],
    }


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n"
