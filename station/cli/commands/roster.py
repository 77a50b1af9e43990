"""`station roster import|list`: load a school's graduates, and see where each one stands."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import click

from config.errors import error_line, hint_line
from config.i18n import N_, _
from station.cli.support import (AppContext, echo_json, exit_failed, finish_partial, json_option, open_read, open_store,
                                 partial_ok_option, pass_app, progress_for, shown_code)
from station.core.errors import RosterError

_BIG_FILE = 512 * 1024   # bytes; smaller files import too fast for progress lines to help


@click.group("roster", help=N_("Import the school's roster (CSV, XLSX or XLS) and list students with their status."))
def roster_group() -> None:
    pass


@roster_group.command("import", help=N_("Import a roster FILE (CSV in UTF-8/GBK/GB18030, XLSX or old .xls) into the workspace.\n"
             "\n"
             "\x08\n"
             "Headers are recognised in Chinese and English: 学号/student no., 姓名/name, 性别/sex,\n"
             "身份证号/ID number, 学院/院系/college, 专业/major, 班级/class, 层次/level, 缴费/paid, 采集码;\n"
             "other columns are kept as extra data. Rules:\n"
             "- a row needs a student number, an ID number or a 采集码 (its code is the first present);\n"
             "- if the file has a name column, every row needs a name;\n"
             "- ID numbers must have a valid GB 11643 check digit; student numbers, ID numbers and\n"
             "  采集码 must be unique in the file and must not belong to another existing student;\n"
             "- paid accepts 是/否, 已缴/未缴, 1/0, yes/no, true/false, Y/N (empty: unknown).\n"
             "The header may sit below a title row. Totals (合计/小计/共N人), notes (注：/说明/备注,\n"
             "制表人/审核人 lines) and blank rows are skipped and named, not counted as invalid.\n"
             "Zero-width spaces and direction marks are removed from cells; control and\n"
             "bidi-override characters refuse the row. Any invalid row: every bad row is listed by its\n"
             "spreadsheet row number and nothing is imported (exit 1). Re-importing an updated roster\n"
             "updates each student matched by student number (else ID number) and keeps their photos;\n"
             "students missing from the new file are kept."))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", default=None, help=N_("XLSX sheet to read (default: the first)."))
@click.option("--dry-run", is_flag=True, help=N_("Validate and show what would change; write nothing."))
@click.option("--skip-invalid", is_flag=True,
              help=N_("Import the valid rows, list the invalid ones (exit 1 unless --partial-ok)."))
@partial_ok_option
@click.option("--map", "mapping", multiple=True, metavar="HEADER=FIELD",
              help=N_('Map an unrecognised header to a field, e.g. --map "工号=student_no" (repeatable); '
                   "FIELD=extra keeps a column out of the subject fields."))
@json_option(N_("Print the import report as JSON."))
@pass_app
def import_cmd(app: AppContext, file: Path, sheet: str | None, dry_run: bool, skip_invalid: bool,
               partial_ok: bool, mapping: tuple[str, ...], as_json: bool) -> None:
    from station.identity.roster import import_roster
    with open_store(app) as store, progress_for(as_json or not _is_big(file)) as progress:
        try:
            report = import_roster(store, file, sheet=sheet, mapping=mapping, skip_invalid=skip_invalid,
                                   dry_run=dry_run, operator=app.operator, progress=progress.note)
        except RosterError as exc:
            if not exc.problems:
                raise
            _fail_with_rows(exc, as_json)
            return
    if as_json:
        echo_json({"ok": True, **report.as_dict()})
        finish_partial(len(report.skipped), partial_ok)
        return
    parsed = report.parsed
    source = (_("sheet {sheet!r}", sheet=parsed.detail) if parsed.kind != "csv"
              else _("{encoding} text", encoding=parsed.detail))
    click.echo(_("{file}: {count} rows ({source}, header on row {row})", file=parsed.file, count=parsed.data_rows,
                 source=source, row=parsed.header_row))
    click.echo(_("columns: {columns}", columns=", ".join(f"{h}->{f}" for f, h in parsed.columns.items()))
               + (_("; kept as extra: {columns}", columns=", ".join(parsed.extra_columns))
                  if parsed.extra_columns else ""))
    for note in parsed.notes():
        click.echo(_("note: {note}", note=note))
    for row, reason in report.problems:
        click.echo(_("warning: row {row} skipped: {reason}", row=row, reason=reason), err=True)
    c = report.counts
    summary = _("{count} rows: {added} added, {updated} updated, {unchanged} unchanged", count=report.imported_rows,
                added=c["added"], updated=c["updated"], unchanged=c["unchanged"])
    click.echo((_("would import {summary}", summary=summary) if report.dry_run
                else _("imported {summary}", summary=summary))
               + (_("; {count} invalid rows skipped", count=len(report.skipped)) if report.skipped else ""))
    if report.not_in_file:
        click.echo(_("note: {count} students already in the workspace are not in this file (kept)",
                     count=report.not_in_file))
    if report.dry_run:
        click.echo(_("dry run: nothing written"))
    finish_partial(len(report.skipped), partial_ok)


def _fail_with_rows(exc: RosterError, as_json: bool) -> None:
    """Every bad row on stderr (or as JSON), then exit 1: the registrar fixes them all in one pass."""
    if as_json:
        echo_json({"ok": False, "error": str(exc),
                   "problems": [{"row": r, "reason": why} for r, why in exc.problems]})
    else:
        click.echo(error_line(exc), err=True)
        for row, reason in exc.problems:
            click.echo("  " + _("row {row}: {reason}", row=row, reason=reason), err=True)
        if exc.hint:
            click.echo("  " + hint_line(exc.hint), err=True)
    exit_failed()


def _is_big(file: Path) -> bool:
    """Stage lines only for big files: smaller ones import too fast for progress to help."""
    try:
        return file.stat().st_size >= _BIG_FILE
    except OSError:
        return False


@roster_group.command("list", help=N_("List students with their status and shooting number (ID numbers masked)."))
@click.option("--college", default=None, help=N_("Only this college (exact name)."))
@click.option("--status", type=click.Choice(["unshot", "shot", "accepted", "rejected"]), default=None,
              help=N_("Only students with this status (shot = a photo awaits a decision)."))
@click.option("--paid", type=click.Choice(["yes", "no"]), default=None,
              help=N_("Only students whose roster says paid (yes) or not paid (no); e.g. refunds: --paid yes --status unshot."))
@json_option(N_("Print the list as JSON."))
@pass_app
def list_cmd(app: AppContext, college: str | None, status: str | None, paid: str | None, as_json: bool) -> None:
    from station.identity.roster import list_roster
    with open_read(app) as store:
        entries = list_roster(store, college=college, status=status,
                              paid=None if paid is None else paid == "yes")
    if as_json:
        echo_json([e.as_dict() for e in entries])
        return
    from station.outputs.report_formats import status_label
    headers = (_("code"), _("name"), _("ID number"), _("college"), _("class"), _("paid"), _("status"), "No.")
    table = [headers]
    paid_text = {True: _("yes"), False: _("NO"), None: "?"}
    for e in entries:
        s = e.subject
        table.append((shown_code(s.code), s.name or "-", s.masked_id or "-", s.college or "-", s.class_name or "-",
                      paid_text[s.paid], status_label(e.status),
                      "-" if e.shoot_no is None else f"{e.shoot_no} ({e.shoot_station} {e.shoot_day})"))
    widths = [max(_width(str(row[i])) for row in table) for i in range(len(headers))]
    for row in table:
        click.echo("  ".join(_pad(str(v), w) for v, w in zip(row, widths)).rstrip())
    click.echo(_("{n} students", n=len(entries)))


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


COMMANDS = [roster_group]
