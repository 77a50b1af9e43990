"""End-of-day paperwork: report (+ contact sheets), print sheets, and photos students sent in."""
from __future__ import annotations

from pathlib import Path

import click

from config.i18n import N_, _
from station.cli.support import (FROM_HELP, AppContext, echo_json, finish_partial, json_option, open_store,
                                 partial_ok_option, pass_app, progress_for, shown_code, source_workspaces)

WS_PATH = click.Path(file_okay=False, exists=True, path_type=Path)


def _report(app: AppContext, sources: tuple[Path, ...], colleges: tuple[str, ...]):
    """The merged report over the current workspace and every --from workspace."""
    from station.outputs.merge import open_sources
    from station.outputs.report import build_report
    return build_report(open_sources(source_workspaces(app, sources)), colleges)


@click.command("report", help=N_("Per college and class: roster, checked in, accepted, rejected-only, not shot; refund and unpaid lists;\n"
             "the shooting-number sign-off sheet; contact sheets per class (html).\n"
             "\n"
             "Workspaces: the current one (--workspace); with --from, every --from workspace plus the current one when\n"
             "it is a workspace, merged as the export merges them (one row per person across stations)."))
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "html", "json", "xlsx"]), default="text",
              show_default=True, help=N_("Output format (csv is UTF-8 with BOM for Excel; xlsx is one workbook "
                                      "ready to print, needs --out)."))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help=N_("Write to this file (html: a FILE.html or a folder; contact sheets go beside it). "
                   "Default: stdout."))
@click.option("--from", "sources", multiple=True, type=WS_PATH,
              help=FROM_HELP)
@click.option("--college", "colleges", multiple=True, help=N_("Only this college (repeatable)."))
@pass_app
def report_cmd(app: AppContext, fmt: str, out: Path | None, sources: tuple[Path, ...],
               colleges: tuple[str, ...]) -> None:
    from station.outputs import report_formats
    from station.store.durable import replace_file
    report = _report(app, sources, colleges)
    if fmt == "html":
        from station.outputs import report_html
        if out is None:
            click.echo(report_html.render_html_single(report), nl=False)
            return
        for path in report_html.write_html(report, out):
            click.echo(_("wrote {path}", path=path))
        return
    if fmt == "xlsx":
        _write_xlsx(report, out)
        return
    text = {"text": report_formats.render_text, "csv": report_formats.render_csv,
            "json": report_formats.render_json}[fmt](report)
    if out is None:
        click.echo(text, nl=False)
        return
    if out.is_dir():
        out = out / f"report.{'txt' if fmt == 'text' else fmt}"
    replace_file(out, text.encode("utf-8"))
    click.echo(_("wrote {path}", path=out))


def _write_xlsx(report, out: Path | None) -> None:
    from station.outputs.report_xlsx import render_xlsx
    from station.store.durable import replace_file
    if out is None:
        raise click.UsageError(_("--format xlsx writes a file: give --out FILE.xlsx or --out FOLDER"))
    if out.is_dir():
        out = out / "report.xlsx"
    replace_file(out, render_xlsx(report))
    click.echo(_("wrote {path}", path=out))


@click.command("prints", help=N_("Print sheets of accepted photos at 300 dpi, one sheet per student (e.g. 2-inch x8 on 6-inch paper),\n"
             "with cut guides and the student number in the margin. Existing identical files are kept; a different\n"
             "file under the same name is never overwritten (exit status 1)."))
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--layout", default="6inch-8", show_default=True,
              help=N_("Sheet layout: 6inch-8 (2-inch x8), 6inch-10 (1-inch x10), 5inch-4 (2-inch x4)."))
@click.option("--pdf", is_flag=True, help=N_("One PDF per college (a page per student) instead of JPEG sheets."))
@click.option("--college", "colleges", multiple=True, help=N_("Only this college (repeatable)."))
@click.option("--from", "sources", multiple=True, type=WS_PATH,
              help=FROM_HELP)
@pass_app
def prints_cmd(app: AppContext, outdir: Path, layout: str, pdf: bool, colleges: tuple[str, ...],
               sources: tuple[Path, ...]) -> None:
    from station.core.errors import ExportError
    from station.outputs.prints import get_layout, make_prints
    chosen = get_layout(layout)
    report = _report(app, sources, colleges)
    accepted = report.accepted
    with progress_for() as progress:
        result = make_prints(accepted, outdir, chosen, pdf=pdf, progress=progress)
    click.echo(_("{written} file(s) written, {unchanged} already there ({layout})", written=len(result.written),
                 unchanged=len(result.unchanged), layout=_(chosen.description)))
    for who, reason in result.skipped:
        click.echo(_("skipped {who}: {reason}", who=who, reason=reason), err=True)
    if not result.ok:
        raise ExportError(_("{n} file(s) exist with different content and were not overwritten: {files}",
                            n=len(result.conflicts), files=", ".join(str(p) for p in result.conflicts)),
                          hint=_("print into an empty folder, or move the old sheets away"))


@click.command("import-photos", help=N_("Import photos students sent in (missed the session): match by student number in the file name,\n"
             "refuse too small / not JPEG / unmatched files with the reason, run the pipeline and record each as a\n"
             "`submitted` take for review. Importing the same file again does nothing.\n"
             "Exit status 1 when any file was refused (the others are imported), 0 with --partial-ok."))
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--pattern", default=None,
              help=N_("File-name template, e.g. '{school}{any}{student_no}{name}.jpg', or 're:REGEX' with a "
                   "(?P<student_no>...) group. Default: any digit run that is a roster student number."))
@json_option(N_("Print one record per file as JSON."))
@partial_ok_option
@pass_app
def import_photos_cmd(app: AppContext, folder: Path, pattern: str | None, as_json: bool, partial_ok: bool) -> None:
    from station.cli.commands.photo import finding_text
    from station.session.submissions import import_photos
    with open_store(app) as store, progress_for(as_json) as progress:
        summary = import_photos(store, folder, pattern=pattern, operator=app.operator, progress=progress)
    if as_json:
        echo_json({"imported": summary.count("imported"), "duplicate": summary.count("duplicate"),
                   "refused": summary.count("refused"), "files": [o.as_dict() for o in summary.outcomes]})
        finish_partial(summary.count("refused"), partial_ok)
        return
    for o in summary.outcomes:
        if o.status == "imported":
            verdict = (_("pass") if o.verdict_ok
                       else _("fail: {reasons}", reasons=", ".join(o.verdict_reasons)))
            click.echo(_("imported  {file} -> {code} (take {take}, {verdict})", file=o.file, code=shown_code(o.code),
                         take=o.take_id, verdict=verdict))
            for finding in o.verdict_refusals:
                click.echo(f"  - {finding_text(finding)}")
            for finding in o.verdict_warnings:
                click.echo(f"  ! {finding_text(finding)}")
        elif o.status == "duplicate":
            click.echo(_("unchanged {file}: {reason}", file=o.file, reason=o.reason))
        else:
            click.echo(_("refused   {file}: {reason}", file=o.file, reason=o.reason), err=True)
        for warning in o.warnings:
            click.echo("  " + _("warning: {text}", text=warning), err=True)
    click.echo(_("{imported} imported, {duplicate} already imported, {refused} refused",
                 imported=summary.count("imported"), duplicate=summary.count("duplicate"),
                 refused=summary.count("refused")))
    finish_partial(summary.count("refused"), partial_ok)


COMMANDS = [report_cmd, prints_cmd, import_photos_cmd]
