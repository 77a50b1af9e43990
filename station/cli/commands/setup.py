"""Workspace set-up and the day's bookkeeping: init, checkin, status."""
from __future__ import annotations

from pathlib import Path

import click

from config.formats import bundled_preset_names, load_preset
from config.i18n import N_, _
from config.settings import FormatSection, Settings, StationSection
from station.cli.localise import HelpText
from station.cli.support import (json_option, AppContext, display_width, echo_json, open_store, pad, pass_app,
                                 progress_for, rpad, shown_code)
from station.store.models import NO_COLLEGE
from station.store.workspace import init_workspace


@click.command("init", help=N_("Create a station workspace (owner-only folder, station.toml, journal)."))
@click.option("--station-id", default="S1", show_default=True, help=N_("Short id of this station (letters, digits, - _)."))
@click.option("--room", default="", help=N_("Room this station shoots in (matches the schedule's room column)."))
@click.option("--format", "preset", default="chsi-2017", show_default=True,
              help=HelpText(N_("Format preset ({presets})."), presets=", ".join(bundled_preset_names())))
@click.option("--camera", "camera_spec", default="gphoto", show_default=True,
              help=N_("Default camera: gphoto, virtual, virtual:DIR or hotfolder:DIR."))
@click.option("--mirror", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=N_("Second folder (another disk) that receives a copy of every original."))
@pass_app
def init_cmd(app: AppContext, station_id: str, room: str, preset: str, camera_spec: str, mirror: Path | None) -> None:
    import dataclasses
    load_preset(preset)  # refuse an unknown preset before creating anything
    base = Settings()
    settings = dataclasses.replace(
        base,
        station=StationSection(id=station_id, room=room),
        format=FormatSection(preset=preset),
        camera=dataclasses.replace(base.camera, spec=camera_spec),
        storage=dataclasses.replace(base.storage, mirror=str(mirror.resolve()) if mirror else ""),
    )
    from config.settings import load_settings
    from station.core.errors import StoreError
    store = init_workspace(app.workspace, settings,
                           warn=lambda message: click.echo(_("warning: {problem}", problem=message), err=True))
    store.close()
    try:
        load_settings(app.workspace)  # what we wrote must read back (e.g. the station id is valid)
    except Exception as exc:
        raise StoreError(_("the new station.toml does not validate: {problem}", problem=exc)) from exc
    if room:
        click.echo(_("workspace {workspace} ready: station {station} in {room}, format {preset}",
                     workspace=app.workspace, station=station_id, room=room, preset=preset))
    else:
        click.echo(_("workspace {workspace} ready: station {station}, format {preset}",
                     workspace=app.workspace, station=station_id, preset=preset))


@click.command("checkin", help=N_("Check a student in from a scanned or typed CODE and assign the shooting number (拍摄号).\n"
             "\n"
             "CODE is a 采集码 text, a student-card barcode, a student number or an ID number. With --reader, each\n"
             "swiped ID card checks its holder in as a scan of its ID number does; a card name that differs from the\n"
             "roster's is a warning."))
@click.argument("code", required=False)
@click.option("--college", default=None, help=N_("College for a roster-less subject (else schedule / station setting)."))
@click.option("--queue", "queue", is_flag=True, help=N_("Join the desk queue instead of binding at once."))
@json_option(N_("Print the check-in as JSON."))
@click.option("--reader", "reader_port", default=None, metavar="PORT",
              help=N_("Check in every ID card swiped on the reader at PORT (e.g. /dev/serial/by-id/..., or auto) "
                   "until Ctrl+C, instead of one CODE."))
@click.option("--walk-in", "walk_in", is_flag=True,
              help=N_("A student missing from the roster (a walk-in): CODE is their ID number or student number; "
                   "needs --name and --college. Kept as a walk-in in every output."))
@click.option("--name", "walk_in_name", default=None, metavar="NAME", help=N_("With --walk-in: the student's name."))
@click.option("--class", "walk_in_class", default=None, metavar="CLASS",
              help=N_("With --walk-in: the student's class."))
@click.option("--allow-unpaid", "allow_unpaid", default=None, metavar="REASON",
              help=N_("Bind a student the roster says has not paid where station.toml blocks it ([session] unpaid = "
                      "\"block\"), for this reason (journalled)."))
@pass_app
def checkin_cmd(app: AppContext, code: str | None, college: str | None, queue: bool, as_json: bool,
                reader_port: str | None, walk_in: bool, walk_in_name: str | None,
                walk_in_class: str | None, allow_unpaid: str | None = None) -> None:
    from station.session.actions import Session
    if not walk_in and (walk_in_name is not None or walk_in_class is not None):
        raise click.UsageError(_("--name and --class are for --walk-in"))
    if walk_in and (code is None or reader_port is not None or not walk_in_name or not college):
        raise click.UsageError(_("--walk-in needs CODE, --name NAME and --college COLLEGE (not --reader)"))
    if reader_port is not None or code is None:
        if reader_port is None or code is not None:
            raise click.UsageError(_("give a CODE, or --reader PORT (not both)"))
        from station.cli.commands.checkin_reader import run_reader_desk
        return run_reader_desk(app, reader_port, college=college, queue_mode=queue)
    with open_store(app) as store:
        # the same check-in as a scan in `station shoot`: a roster student keeps the roster's college
        session = Session(store, operator=app.operator)
        if walk_in:
            assert walk_in_name is not None and college is not None
            outcome = session.walk_in(code, name=walk_in_name, college=college, class_name=walk_in_class,
                                      queue=True if queue else None)
        else:
            outcome = session.scan(code, queue=True if queue else None, college=college,
                                   unpaid_override=allow_unpaid)
        subject = outcome.subject
        if as_json:
            echo_json({"shoot_no": outcome.shoot_no, "day": store.today(), "repeated": outcome.repeated,
                       "bound": outcome.bound, "matched_by": outcome.matched_by, "college": outcome.college,
                       "moved_from": shown_code(outcome.moved_from.code) if outcome.moved_from else None,
                       "warnings": list(outcome.warnings), "subject": subject.public_dict(),
                       "walk_in": subject.source == "walk-in"})
            return
        state = _("queued") if not outcome.bound else _("bound")
        click.echo(_("No. {shoot_no}", shoot_no=outcome.shoot_no)
                   + f"  {subject.name or '-'}  {shown_code(subject.code)}  "
                   + _("ID {id_number}", id_number=subject.masked_id or "-")
                   + f"  {outcome.college or NO_COLLEGE}"
                   f"{'  ' + subject.class_name if subject.class_name else ''}  [{state}]")
        if outcome.repeated:
            click.echo("  " + _("(already checked in today: same shooting number)"))
        for warning in outcome.warnings:
            click.echo("  " + _("warning: {text}", text=warning), err=True)


@click.command("status", help=N_("Counts per college: roster size, checked in, shot, accepted, rejected; and workspace health."))
@json_option(N_("Print the counts as JSON."))
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    from station.store.workspace import free_space
    with open_store(app) as store:
        rows = store.status_by_college()
        recon = store.reconcile()
        bound = store.bound_subject()
        unbound = store.unbound_takes()
        space = free_space(store.workspace, store.settings)
        from station.hub.replicator import describe, status_line
        hub = describe(store.workspace) if store.settings.hub.url else None
        if as_json:
            echo_json({"station": store.station_id, "colleges": rows,
                       "free_space": [{"folder": f.folder, "free_mb": round(f.free_mb, 1),
                                       "min_free_mb": f.min_free_mb, "low": f.low} for f in space],
                       "readonly": store.readonly_reason,
                       "bound": bound.public_dict() if bound else None,
                       "queue": [shown_code(s.code) for s in store.queue()],
                       "unbound_takes": [t.id for t in unbound],
                       "orphans": list(recon.orphans), "missing": list(recon.missing),
                       "damaged": list(recon.damaged), "temp_files": list(recon.temp_files),
                       "quarantined": list(recon.quarantined),
                       "recovered_takes": [t.id for t in unbound if t.source == "recovered"], "hub": hub})
            return
        labels = (_("roster"), _("checked in"), _("shot"), _("accepted"), _("rejected"))
        widths = [max(8, display_width(label)) for label in labels]
        click.echo(pad(_("college"), 24) + "".join(" " + rpad(label, w) for label, w in zip(labels, widths)))
        total = {k: 0 for k in ("roster", "checked_in", "shot", "accepted", "rejected")}
        for r in rows:
            click.echo(pad(r["college"], 24) + "".join(f" {r[k]:>{w}}" for k, w in zip(total, widths)))
            for k in total:
                total[k] += r[k]
        click.echo(pad(_("total"), 24) + "".join(f" {total[k]:>{w}}" for k, w in zip(total, widths)))
        click.echo(_("bound now: {who}", who=shown_code(bound.code) if bound else _("nobody")))
        from station.session.lock import running_station
        holder = running_station(store.workspace)
        if holder is not None:
            click.echo(_("interactive station running: {who}", who=holder.describe()))
        for f in space:
            click.echo(_("free space: {free} MB on {folder}", free=f"{f.free_mb:.0f}", folder=f.folder))
        if hub is not None:
            click.echo(status_line(hub))
        if store.readonly_reason:
            click.echo(_("warning: journal opened read-only: {reason}", reason=store.readonly_reason), err=True)
        warning = store.space_warning()
        if warning:
            click.echo(_("warning: {problem}", problem=warning), err=True)
        if unbound:
            click.echo(_("warning: {n} unbound take(s) to rebind or void: {takes}", n=len(unbound),
                         takes=", ".join(str(t.id) for t in unbound)), err=True)
        for rel in recon.orphans:
            click.echo(_("warning: orphan file (not journalled, kept): {file}", file=rel), err=True)
        if recon.orphans or recon.temp_files:
            click.echo(_("  the next capture adopts orphan originals as unbound takes and removes the {n} temp"
                         " file(s) a crash left", n=len(recon.temp_files)), err=True)
        for take in unbound:
            if take.source == "recovered":
                click.echo(_("warning: take {take} was recovered after a crash ({file}): rebind or void it",
                             take=take.id, file=take.primary.file if take.files else "-"), err=True)
        for rel in recon.quarantined:
            click.echo(_("note: moved aside after a crash (the journal has the same photo): {file}", file=rel),
                       err=True)
        for rel in recon.missing:
            click.echo(_("error: journalled original missing: {file}", file=rel), err=True)
        for rel in recon.damaged:
            click.echo(_("error: original damaged (size differs): {file}", file=rel), err=True)


COMMANDS = [init_cmd, checkin_cmd, status_cmd]


@click.command("demo", help=N_("Run a scripted session on the built-in virtual camera, with nothing attached.\n"
             "\n"
             "Generated roster and generated faces (no real person's data or photo), bad takes that are rejected and\n"
             "re-shot, one wrong-person rebind, then an export per college. Ends with a summary read from the journal.\n"
             "With --console the same session plays in the browser console, one step every --pace seconds."))
@click.option("--students", type=click.IntRange(4, 2000), default=20, show_default=True,
              help=N_("How many generated students to photograph."))
@click.option("--workspace", "demo_ws", type=click.Path(file_okay=False, path_type=Path),
              default=Path("demo-workspace"), show_default=True, help=N_("Folder for the demo workspace."))
@click.option("--fresh", is_flag=True, help=N_("Replace an earlier demo workspace (only a demo one) first."))
@json_option(N_("Print the final summary as JSON."))
@click.option("--console", "in_console", is_flag=True,
              help=N_("Play the session in the browser console (station console), step by step, until Ctrl+C."))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help=N_("With --console: the console's port on 127.0.0.1 (0: any free port)."))
@click.option("--no-open", is_flag=True, help=N_("With --console: print the link instead of opening the browser."))
@click.option("--pace", type=click.FloatRange(0, 60), default=1.5, show_default=True,
              help=N_("With --console: seconds between the script's steps."))
def demo_cmd(students: int, demo_ws: Path, fresh: bool, as_json: bool, in_console: bool, port: int,
             no_open: bool, pace: float) -> None:
    from station.demo.script import prepare_workspace, run_demo
    from station.outputs.export import ExportOptions, run_export
    prepare_workspace(demo_ws, fresh=fresh)
    if in_console:
        from station.cli.commands.console import serve
        from station.console.server import open_browser
        from station.demo.console import open_console_demo
        demo = open_console_demo(demo_ws, students=students, port=port, say=click.echo)
        try:
            demo.start(pace=pace, say=click.echo)
            serve(demo.server, lan=False, no_open=no_open, addresses=[], opener=open_browser)
        finally:
            demo.stop()
            demo.server.stop()
        return
    say = (lambda line: None) if as_json else click.echo
    with progress_for(as_json) as bar:
        bar.start(_("students"), students)
        done = {"n": 0}

        def progress(n: int, total: int) -> None:
            bar.advance(n - done["n"])
            done["n"] = n
        summary = run_demo(demo_ws, students=students, say=say, progress=progress)
    outdir = demo_ws / "export"
    exported = run_export(outdir, [demo_ws], ExportOptions(zip=True))
    summary["export"] = exported.to_dict()
    if not exported.ok:
        for line in exported.problems():
            click.echo(_("export problem: {problem}", problem=line), err=True)
    if as_json:
        echo_json(summary)
        return
    click.echo("")
    click.echo(_("summary (from the journal {journal}):", journal=demo_ws / "journal.sqlite3"))
    click.echo("  " + _("students {students}, checked in {checked_in}, takes {takes}, accepted {accepted}, "
                        "rejected {rejected}, rebinds {rebinds}, skipped {skipped}",
                        **{k: summary[k] for k in ("students", "checked_in", "takes", "accepted", "rejected",
                                                   "rebinds", "skipped")}))
    for reason in summary["reject_reasons"]:
        click.echo("  " + _("rejected: {reason}", reason=reason))
    for row in summary["by_college"]:
        click.echo("  " + _("{college}: {accepted}/{roster} accepted", college=row["college"],
                            accepted=row["accepted"], roster=row["roster"]))
    click.echo("  " + _("export: {n} photos in {folder}/ (per-college folders, manifests, zips)",
                        n=summary["export"]["exported"], folder=outdir))
    click.echo("  " + _("latest preview: {path}", path=demo_ws / "preview" / "latest.jpg"))


COMMANDS.append(demo_cmd)
