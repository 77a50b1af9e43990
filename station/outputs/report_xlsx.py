"""The end-of-day report as one Excel workbook, the form the registrar files and prints.

Sheets: counts per college, counts per class, the refund list, the unpaid list, the shooting-number sign-off
sheet (签字确认表: one bordered row per check-in with room to sign), the review list (who still needs a
decision or a re-shoot) and the accepted photos with their source. Every sheet has a frozen header that also
repeats on each printed page, set widths and A4 fitted to the page width (station.outputs.xlsx_book).
ID numbers appear masked only, as in every report format.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from config.i18n import N_, _
from station.outputs.report import GroupCounts, Report, StudentRow
from station.outputs.report_formats import (ACCEPTED_HEADERS, GROUP_HEADERS, PERSON_HEADERS, SIGNOFF_HEADERS,
                                            TITLES, TOTAL, person_note, signoff_cells, status_label)
from station.outputs.xlsx_book import Book, Column

SHEETS = {"colleges": N_("Per college"), "classes": N_("Per class"), "refunds": N_("Refunds"),
          "unpaid": N_("Unpaid"), "signoff": N_("Sign-off sheet"), "review": N_("Review list"),
          "accepted": N_("Accepted photos")}
_REVIEW_TITLE = N_("Review list: awaiting a decision, rejected (re-shoot), checked in but not shot")
_COUNTS = ("roster", "checked_in", "accepted", "submitted", "pending", "rejected_only", "not_shot")
_WIDTHS = {"college": 24, "class": 16, "student no": 14, "name": 10, "ID (masked)": 21, "status": 12,
           "station": 8, "day": 11, "shooting no": 9, "signature": 22, "source": 10, "take": 7, "note": 24}


def _columns(headers: tuple[str, ...], numeric: tuple[str, ...] = ()) -> list[Column]:
    return [Column(_(h), _WIDTHS.get(h, 10), h in numeric) for h in headers]


def render_xlsx(report: Report) -> bytes:
    """The workbook's bytes (reproducible: the same report gives the same file)."""
    book = Book(_("Photo session report"))
    where = _("Workspaces: {names}", names=", ".join(report.workspaces))
    numeric = GROUP_HEADERS[2:]
    per_college = _college_counts(report)
    book.table(_(SHEETS["colleges"]), _(SHEETS["colleges"]),
               _columns((GROUP_HEADERS[0], *GROUP_HEADERS[2:]), numeric), per_college, subtitle=where,
               total_row=_total_row(report, with_class=False))
    book.table(_(SHEETS["classes"]), _(TITLES["groups"]), _columns(GROUP_HEADERS, numeric),
               [(g.college, g.class_name, *(getattr(g, k) for k in _COUNTS)) for g in report.groups],
               subtitle=where, total_row=_total_row(report, with_class=True))
    book.table(_(SHEETS["refunds"]), _(TITLES["refunds"]), _columns(PERSON_HEADERS),
               _people(report.refunds), subtitle=_count_line(len(report.refunds)))
    book.table(_(SHEETS["unpaid"]), _(TITLES["unpaid"]), _columns(PERSON_HEADERS),
               _people(report.unpaid_photographed), subtitle=_count_line(len(report.unpaid_photographed)))
    book.table(_(SHEETS["signoff"]), _(TITLES["signoff"]), _columns(SIGNOFF_HEADERS, ("shooting no",)),
               [signoff_cells(r) for r in report.signoff],
               subtitle=_("I confirm that the photo taken under this shooting number is of me."),
               boxed=True, row_height=28, landscape=True)
    review = [s for s in report.students if s.status in ("shot", "rejected") or
              (s.status == "unshot" and s.checked_in)]
    book.table(_(SHEETS["review"]), _(_REVIEW_TITLE), _columns(PERSON_HEADERS), _people(review),
               subtitle=_count_line(len(review)))
    book.table(_(SHEETS["accepted"]), _(TITLES["accepted"]), _columns(ACCEPTED_HEADERS, ("take",)),
               [(s.student_no or s.code, s.name or "", s.college, s.class_name, status_label(s.source),
                 s.station_id or "", s.take_seq or "", person_note(s)) for s in report.accepted],
               subtitle=_count_line(len(report.accepted)))
    return book.to_bytes()


def _college_counts(report: Report) -> list[tuple[Any, ...]]:
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_COUNTS, 0))
    for g in report.groups:
        for key in _COUNTS:
            sums[g.college][key] += getattr(g, key)
    return [(college, *(counts[k] for k in _COUNTS)) for college, counts in sorted(sums.items())]


def _total_row(report: Report, *, with_class: bool) -> tuple[Any, ...]:
    t: GroupCounts = report.totals()
    return (_(TOTAL), *([""] if with_class else []), *(getattr(t, k) for k in _COUNTS))


def _people(people: list[StudentRow]) -> list[tuple[Any, ...]]:
    return [(s.student_no or s.code, s.name or "", s.college, s.class_name, s.masked_id, status_label(s.status),
             person_note(s)) for s in people]


def _count_line(n: int) -> str:
    return _("{n} students", n=n)
