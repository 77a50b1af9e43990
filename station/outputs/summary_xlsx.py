"""The export summary as an Excel workbook beside summary.csv: per-college counts and who has no photo, why.

Export files are always written in Chinese, whatever language the operator's screen is in: a re-run of the
same export must give the same bytes (else "a different file already has this name"), and the registrar
reads one form. Built with the same writer as the report workbook (station.outputs.xlsx_book).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from config import i18n
from config.i18n import N_, _
from station.core.idnumber import mask_code
from station.outputs.report_formats import STATUS_LABELS, TOTAL
from station.outputs.xlsx_book import Book, Column

SUMMARY_XLSX = "summary.xlsx"
EXPORT_LANGUAGE = "zh"
_INVALID = N_("failed validation")


@contextmanager
def _export_language() -> Iterator[None]:
    before = i18n.current_language()
    i18n.set_language(EXPORT_LANGUAGE, this_thread_only=True)
    try:
        yield
    finally:
        i18n.set_language(before, this_thread_only=True)


def summary_xlsx(colleges: Sequence[dict[str, Any]], missing: Sequence[dict[str, Any]]) -> bytes:
    """`colleges`: {college, folder, exported, missing, invalid}; `missing`: who has no exported photo."""
    with _export_language():
        book = Book(_("Export summary"))
        totals = [sum(c[k] for c in colleges) for k in ("exported", "missing", "invalid")]
        book.table(_("Export summary"), _("Export summary"),
                   [Column(_("college"), 24), Column(_("folder"), 24), Column(_("exported"), 9, True),
                    Column(_("no photo"), 9, True), Column(_("failed validation"), 9, True)],
                   [(c["college"], c["folder"], c["exported"], c["missing"], c["invalid"]) for c in colleges],
                   total_row=(_(TOTAL), "", *totals))
        book.table(_("No photo"), _("Students without an exported photo"),
                   [Column(_("college"), 24), Column(_("class"), 16), Column(_("student no"), 14),
                    Column(_("code"), 21), Column(_("name"), 10), Column(_("status"), 12), Column(_("reason"), 30)],
                   [(m["college"], m.get("class") or "", m.get("student_no") or "", mask_code(m["code"]),
                     m.get("name") or "", _status(m["status"]), _reason(m)) for m in missing],
                   subtitle=_("{n} students", n=len(missing)))
        return book.to_bytes()


def _status(status: str) -> str:
    return _(_INVALID) if status == "invalid" else (_(STATUS_LABELS[status]) if status in STATUS_LABELS
                                                     else status)


def _reason(m: dict[str, Any]) -> str:
    from station.outputs.manifest import reason_zh
    return reason_zh(m)                                  # the same words as missing.csv
