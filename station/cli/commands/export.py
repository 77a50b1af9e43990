"""`station export`: per-college folders of the accepted photos, manifests, summary, optional zips."""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import click

from config.errors import error_line, hint_line
from config.i18n import N_, _
from station.cli.support import (FROM_HELP, AppContext, echo_json, exit_failed, finish_partial, json_option,
                                 partial_ok_option, pass_app, progress_for, source_workspaces)


@click.command("export", help=N_("Export the accepted photos into OUTDIR: one folder per college, a manifest.csv in each, and\n"
             "summary.csv / summary.json / missing.csv at the root.\n"
             "\n"
             "Workspaces: the current one (--workspace); with --from, every --from workspace plus the current one when\n"
             "it exists (the same workspace given twice counts once). Every photo is re-validated against the format.\n"
             "Nothing is written when a photo fails (unless --skip-invalid), a student was accepted at two stations\n"
             "(unless --prefer newest), two students get the same file name, or a file that an earlier export did not\n"
             "write is in the way, or two different students' photos are the same face (unless --allow-same-face\n"
             "names one of them). Running the export again updates OUTDIR in place with byte-identical files; files an\n"
             "earlier export wrote for the exported colleges that are no longer produced (a voided take, another\n"
             "naming) are removed, but only if nobody changed them.\n"
             "Exit status: 0 exported, 1 refused (the problems are listed) or, with --skip-invalid, photos were left out\n"
             "(0 with --partial-ok)."))
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--college", "colleges", multiple=True, metavar="C", help=N_("Only this college (repeatable)."))
@click.option("--from", "sources", multiple=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              metavar="WORKSPACE", help=FROM_HELP)
@click.option("--zip", "make_zip", is_flag=True, help=N_("Also write one deterministic zip per college."))
@click.option("--naming", default=None, metavar="TEMPLATE",
              help=N_("File name template, e.g. '{class}/{student_no}_{name}.jpg'. Fields: {student_no} "
                   "{id_number} {name} {class} {college} {code} {shoot_no} {major}. Default: the workspace's "
                   "export.naming ({student_no}.jpg; the scanned code when there is no student number)."))
@click.option("--prefer", default=None, metavar="newest|station:NAME", callback=lambda _c, _p, v: _prefer(v),
              help=N_("Settle a student accepted at two stations: 'newest' takes the newest acceptance, "
                      "'station:NAME' trusts station NAME's take (the others' when NAME has none stay conflicts)."))
@click.option("--skip-invalid", is_flag=True, help=N_("Leave out photos that fail validation (listed) instead "
                                                   "of refusing the export (exit 1 unless --partial-ok)."))
@click.option("--allow-same-face", "allow_same_face", multiple=True, metavar="STUDENT",
              help=N_("Export this student although another student's photo is the same face (twins, a checked "
                   "case); repeatable, journalled."))
@partial_ok_option
@json_option(N_("Print the result as JSON."))
@pass_app
def export_cmd(app: AppContext, outdir: Path, colleges: tuple[str, ...], sources: tuple[Path, ...],
               make_zip: bool, naming: str | None, prefer: str | None, skip_invalid: bool,
               allow_same_face: tuple[str, ...], partial_ok: bool, as_json: bool) -> None:
    from station.outputs.export import ExportOptions, run_export
    options = ExportOptions(colleges=colleges, naming=naming, zip=make_zip, prefer_newest=prefer == "newest",
                            prefer_station=prefer[len("station:"):] if prefer and prefer != "newest" else None,
                            skip_invalid=skip_invalid, allow_same_face=allow_same_face)
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    workspaces = source_workspaces(app, sources)
    try:
        with _stops_as_interrupt(), progress_for(as_json) as progress:
            result = run_export(outdir, workspaces, options, progress)
    except KeyboardInterrupt:
        click.echo(error_line(_("export interrupted: the files already written are complete and nothing "
                                "half-written is left")), err=True)
        click.echo(hint_line(_("run the same command again to finish the export")), err=True)
        click.get_current_context().exit(130)
    if as_json:
        echo_json({**result.to_dict(), "started_at": started})
    else:
        _print(result)
    if not result.ok:
        exit_failed()
    finish_partial(len(result.invalid), partial_ok)


@contextmanager
def _stops_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed terminal, a service stop) end the export as Ctrl+C does: the validation
    workers end with it and the user is told how to finish."""
    if threading.current_thread() is not threading.main_thread():
        yield                   # signals are the main thread's (an export run from a server's worker)
        return
    before = {sig: signal.signal(sig, signal.default_int_handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _prefer(value: str | None) -> str | None:
    """'newest', or 'station:NAME' (also 'station=NAME' and 'station NAME'), as 'station:NAME'."""
    if value is None or value.strip() == "newest":
        return value and "newest"
    text = value.strip()
    for sep in (":", "=", " "):
        head, found, name = text.partition(sep)
        if found and head.strip() == "station" and name.strip():
            return "station:" + name.strip()
    raise click.BadParameter(_("use 'newest' or 'station:NAME' (got {value!r})", value=value))


def _print(result: Any) -> None:
    from station.faces.audit import describe_pair
    for line in result.problems():
        click.echo(error_line(line), err=True)
    for entry in result.invalid if result.ok else []:
        click.echo(_("skipped invalid: {file} ({rules})", file=entry["file"],
                     rules=", ".join(f["rule"] for f in entry["failures"])), err=True)
    for c in result.conflicts:
        if c.get("resolved_to"):
            t = c["resolved_to"]
            click.echo(_("conflict {code}: took {station} take {take}", code=c["code"],
                         station=t["station_id"], take=t["take_id"]), err=True)
    if result.face_unaudited:
        click.echo(_("note: {n} photos have no face data (purged, or shot before face checks): not checked for "
                     "the same face under two students", n=result.face_unaudited), err=True)
    for pair in result.same_face_allowed:
        click.echo(_("same face allowed (journalled): {pair}", pair=describe_pair(pair)), err=True)
    if not result.ok:
        click.echo(_("export refused: nothing was written"), err=True)
        return
    for c in result.colleges:
        click.echo(_("{college}: {exported} exported, {missing} missing, {invalid} invalid", college=c["college"],
                     exported=c["exported"], missing=c["missing"], invalid=c["invalid"]))
    click.echo(_("{n} photos in {folder} ({written} written, {unchanged} unchanged, {removed} removed)",
                 n=result.exported, folder=result.outdir, written=result.written, unchanged=result.unchanged,
                 removed=len(result.removed))
               + (_("; zips: {zips}", zips=", ".join(result.zips)) if result.zips else ""))


COMMANDS = [export_cmd]
