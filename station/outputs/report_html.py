"""The report as HTML: one printable page of tables, plus one contact sheet page per class.

`write_html` puts the report and the sheets on disk (owner-only, each file replaced atomically: a report is
derived data, rewriting it is expected); `render_html_single` gives one page with the sheets inline (stdout).
"""
from __future__ import annotations

import html
from pathlib import Path

from station.outputs.contact_sheet import class_sheet_fragment, class_sheet_page, page
from station.store.durable import make_private_dirs, replace_file
from station.outputs.report import Report
from station.outputs.report_formats import SIGNATURE, TITLES, sections
from config.i18n import N_, _
from station.core.naming import sanitize_component

SHEETS_DIR = "contact-sheets"
REPORT_TITLE = N_("Photo session report")
SHEETS_TITLE = N_("Contact sheets")


def _tables(report: Report) -> str:
    esc = html.escape
    parts = []
    for title, headers, rows in sections(report):
        parts.append(f"<h2>{esc(title)}</h2>")
        if not rows:
            parts.append(f"<p>{esc(_('(none)'))}</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>")
        for row in rows:
            cells = []
            for header, value in zip(headers, row):
                klass = ' class="num"' if isinstance(value, int) else ""
                klass = ' class="sign"' if header == _(SIGNATURE) else klass
                cells.append(f"<td{klass}>{esc(str(value))}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table>")
    if report.conflicts:
        parts.append(f"<h2>{esc(_(TITLES['conflicts']))}</h2><ul>")
        parts.extend(f"<li>{esc(_('{code}: takes {takes}', code=c.code, takes=', '.join(c.takes)))}</li>"
                     for c in report.conflicts)
        parts.append("</ul>")
    from station.outputs.face_report import low_likeness_html      # issue 13: both pictures side by side
    parts.append(low_likeness_html(report.workspaces, report.colleges_filter))
    return "\n".join(parts)


def _header(report: Report) -> str:
    return (f"<h1>{html.escape(_(REPORT_TITLE))}</h1>\n<p>"
            + html.escape(_("Workspaces: {names}", names=", ".join(report.workspaces))) + "</p>")


def render_html_single(report: Report) -> str:
    """Report and every class's contact sheet in one page."""
    sheets = "\n".join(class_sheet_fragment(c, k, rows) for c, k, rows in report.classes())
    return page(_(REPORT_TITLE), _header(report) + "\n" + _tables(report)
                + f"\n<h2>{html.escape(_(SHEETS_TITLE))}</h2>\n" + sheets)


def _sheet_names(report: Report) -> list[str]:
    """A distinct, filesystem-safe file name per class (Chinese kept)."""
    used: set[str] = set()
    names = []
    for college, klass, _ in report.classes():
        base = f"{sanitize_component(college)}_{sanitize_component(klass)}"
        name, n = f"{base}.html", 1
        while name in used:
            n += 1
            name = f"{base}-{n}.html"
        used.add(name)
        names.append(name)
    return names


def write_html(report: Report, out: Path) -> list[Path]:
    """Write report.html (or `out` itself if it names an .html file) and the contact sheets beside it."""
    if out.suffix.lower() in (".html", ".htm"):
        main, sheets_dir = out, out.parent / f"{out.stem}-{SHEETS_DIR}"
    else:
        main, sheets_dir = out / "report.html", out / SHEETS_DIR
    make_private_dirs(sheets_dir)
    written: list[Path] = []
    links = [f"<h2>{html.escape(_(SHEETS_TITLE))}</h2><ul>"]
    for (college, klass, rows), name in zip(report.classes(), _sheet_names(report)):
        path = sheets_dir / name
        replace_file(path, class_sheet_page(college, klass, rows).encode("utf-8"))
        written.append(path)
        accepted = sum(r.status == "accepted" for r in rows)
        links.append(f'<li><a href="{html.escape(sheets_dir.name)}/{html.escape(name)}">'
                     f"{html.escape(college)} · {html.escape(klass)}</a> ({accepted}/{len(rows)})</li>")
    links.append("</ul>")
    replace_file(main, page(_(REPORT_TITLE),
                            _header(report) + "\n" + _tables(report) + "\n" + "\n".join(links)).encode("utf-8"))
    written.insert(0, main)
    return written
