"""Session commands: the shoot loop and the same actions one at a time (for scripts and re-shoot work).

Every command is thin: it opens the store, hands the action to the station controller (`_decide`: the same
handlers the terminal's keys and the console's buttons reach), and prints. So `station accept` and the `a` key
do exactly the same thing, by one rule.
"""
from __future__ import annotations

from pathlib import Path

import click

from config.i18n import N_, _, bilingual
from station.cli.support import (FROM_HELP, AppContext, echo_json, exit_failed, json_option, open_read, open_store,
                                 operator_option, pad, pass_app, shown_code, source_workspaces)
from station.core.errors import SessionError
from station.store.models import NO_COLLEGE

def trigger_option(text: str):
    """`--trigger` parsed once into its typed value (station.session.triggers.TriggerSpec)."""
    from station.session.triggers import TriggerSpec
    try:
        return TriggerSpec.parse(text)
    except ValueError:
        raise click.BadParameter(_("use key, camera or pedal:DEVICE"), param_hint="--trigger") from None


def _decide(session, event):
    """One operator action through the station controller's handler (the rules every screen follows); a
    refusal raises (the CLI's one way to fail). Returns the controller's Outcome."""
    from station.session.controller import StationController
    return StationController(session).run(event)


def _session(store, operator: str | None, **kw):
    from station.session.actions import Session
    return Session(store, operator=operator, **kw)


def _subject_line(subject, shoot_no: int | None) -> str:
    return (_("No. {shoot_no}", shoot_no=shoot_no if shoot_no is not None else "-")
            + f"  {subject.name or '-'}  {shown_code(subject.code)}  "
            f"{subject.college or NO_COLLEGE}{'  ' + subject.class_name if subject.class_name else ''}")


def review_status_label(status: str) -> str:
    """A re-shoot list status in the run's language (the JSON keeps the English word)."""
    labels = {"rejected": N_("rejected"), "undecided": N_("undecided"), "unshot": N_("unshot"),
              "skipped": N_("skipped"), "absent": N_("absent")}
    return _(labels[status]) if status in labels else status


def _print_outcome(outcome, workspace: Path) -> None:
    take = outcome.take
    who = shown_code(outcome.subject.code) if outcome.subject else _("UNBOUND (rebind or void it)")
    verdict = bilingual("PASS") if outcome.ok else (bilingual("FAIL") if outcome.ok is False else _("no verdict"))
    click.echo(_("take {take} (seq {seq}) for {who}: {verdict}", take=take.id, seq=take.seq, who=who,
                 verdict=verdict))
    for r in outcome.reasons:
        click.echo(f"  - {r.zh}  {r.en}  [{r.code}]")
    for w in outcome.warnings:
        click.echo(f"  ! {w.zh}  {w.en}  [{w.code}]")
    click.echo("  " + _("original: {file}  sha256 {sha}…", file=take.primary.file, sha=take.primary.sha256[:16]))
    if outcome.preview:
        click.echo("  " + _("preview: {path}", path=outcome.preview))


# ------------------------------------------------------------------------------------------------ capture
@click.command("capture", help=N_("Shoot one frame for the bound student (or the first queued one), store it and print the verdict.\n"
             "\n"
             'With nobody bound and nobody queued it refuses and stores nothing ("no scan, no shot"). `file` in the\n'
             "JSON is the stored original relative to the workspace; `path` is the same file as an absolute path."))
@click.option("--camera", "camera_spec", default=None,
              help=N_("gphoto, gphoto:MODEL, virtual, virtual:DIR or hotfolder:DIR (default: station.toml)."))
@click.option("--timeout", default=15.0, show_default=True, help=N_("Seconds to wait for the picture."))
@json_option(N_("Print take, code, file (relative to the workspace), path (absolute), sha256, ok, reasons..."))
@operator_option
@pass_app
def capture_cmd(app: AppContext, camera_spec: str | None, timeout: float, as_json: bool,
                operator: str | None) -> None:
    from station.session.camera_source import open_station_camera
    with open_store(app) as store:
        session = _session(store, operator)
        if session.bound() is None and not session.queue():
            session.subject_for_shot()  # raises the "no scan, no shot" refusal before touching the camera
        spec = camera_spec or store.settings.camera.spec
        with open_station_camera(spec, store.settings, store.workspace) as camera:
            session.camera = camera
            outcome = session.shoot(timeout=timeout, advance_queue=True)
        if as_json:
            data = outcome.to_dict(store.workspace.resolve())
            data["shoot_no"] = session.shoot_no(outcome.subject) if outcome.subject else None
            data["subject"] = outcome.subject.public_dict() if outcome.subject else None
            echo_json(data)
            return
        _print_outcome(outcome, store.workspace)


# ------------------------------------------------------------------------------------------------ decisions
@click.command("accept", help=N_("Accept TAKE (default: the latest undecided take of the bound student); the binding closes.\n"
             "\n"
             "A take that failed its check needs --override REASON; a take that cannot be cropped to the format is never\n"
             "accepted."))
@click.argument("take", type=int, required=False)
@click.option("--override", default=None, metavar="REASON",
              help=N_("Accept a take that did not pass (or carries a warning that needs it), for this reason; "
                   "journalled with the accept and marked in the export manifest."))
@json_option()
@operator_option
@pass_app
def accept_cmd(app: AppContext, take: int | None, override: str | None, as_json: bool,
               operator: str | None) -> None:
    with open_store(app) as store:
        from station.session.triggers import Accept
        done = store.take(_decide(_session(store, operator), Accept(take, override=override)).take_id)
        subject = store.subject(done.subject_id) if done.subject_id else None
        code = subject.code if subject else None
        if as_json:
            echo_json({"take": done.id, "decision": done.decision, "code": code,
                       "override": (override or "").strip() or None})
            return
        if override and override.strip():
            click.echo(_("take {take} accepted for {code} (override: {reason}); binding closed", take=done.id,
                         code=shown_code(code), reason=override.strip()))
        else:
            click.echo(_("take {take} accepted for {code}; binding closed", take=done.id, code=shown_code(code)))


@click.command("reject", help=N_("Reject TAKE (default: the latest undecided take of the bound student); the student stays bound."))
@click.argument("take", type=int, required=False)
@click.option("--reason", required=True, help=N_("Why (it goes on the re-shoot list)."))
@operator_option
@pass_app
def reject_cmd(app: AppContext, take: int | None, reason: str, operator: str | None) -> None:
    with open_store(app) as store:
        from station.session.triggers import Reject
        done = store.take(_decide(_session(store, operator), Reject(take, reason=reason)).take_id)
        click.echo(_("take {take} rejected: {reason}", take=done.id, reason=reason))


@click.command("rebind", help=N_("Move exactly one TAKE to the student CODE names (the wrong-person fix; journalled who/when/why)."))
@click.argument("take", type=int)
@click.argument("code")
@click.option("--reason", default="wrong person", show_default=True, help=N_("Why (journalled)."))
@operator_option
@pass_app
def rebind_cmd(app: AppContext, take: int, code: str, reason: str, operator: str | None) -> None:
    with open_store(app) as store:
        from station.session.triggers import Rebind
        outcome = _decide(_session(store, operator), Rebind(take, code=code, reason=reason))
        moved, subject = store.take(outcome.take_id), store.subject(outcome.subject_id)
        click.echo(_("take {take} now belongs to {code} {name}", take=moved.id, code=shown_code(subject.code),
                     name=subject.name or "").rstrip())


@click.command("void", help=N_("Void TAKE: it stays on disk and in the journal but never counts or exports."))
@click.argument("take", type=int)
@click.option("--reason", required=True, help=N_("Why (journalled)."))
@operator_option
@pass_app
def void_cmd(app: AppContext, take: int, reason: str, operator: str | None) -> None:
    with open_store(app) as store:
        from station.session.triggers import Void
        if not reason.strip():
            raise SessionError(_("voiding a take needs a reason"))
        done = store.take(_decide(_session(store, operator), Void(take, reason=reason)).take_id)
        click.echo(_("take {take} void: {reason}", take=done.id, reason=reason))


@click.command("skip", help=N_("Release the bound student without a photo (they stay on the review list)."))
@click.option("--reason", default="", help=N_("Why (shown on the review list)."))
@operator_option
@pass_app
def skip_cmd(app: AppContext, reason: str, operator: str | None) -> None:
    with open_store(app) as store:
        from station.session.triggers import Skip
        subject = store.subject(_decide(_session(store, operator), Skip(reason)).subject_id)
        click.echo(_("skipped {code}; nobody bound", code=shown_code(subject.code)))


@click.command("next", help=N_("Bind the first student waiting in the desk queue."))
@click.option("--allow-unpaid", "allow_unpaid", default=None, metavar="REASON",
              help=N_("Bind a student the roster says has not paid where station.toml blocks it ([session] unpaid = "
                      "\"block\"), for this reason (journalled)."))
@operator_option
@pass_app
def next_cmd(app: AppContext, allow_unpaid: str | None, operator: str | None) -> None:
    with open_store(app) as store:
        from station.session.triggers import Next
        session = _session(store, operator)
        if not session.queue():
            raise SessionError(_("the queue is empty"), hint=_("check students in at the desk: station checkin CODE --queue"))
        subject = store.subject(_decide(_session(store, operator), Next(unpaid_override=allow_unpaid or "")).subject_id)
        click.echo(_subject_line(subject, session.shoot_no(subject)) + "  [" + _("bound") + "]")
        if subject.paid is False:
            click.secho("  " + _("NOT PAID: {who} — the roster says this student has not paid: check before shooting",
                                 who=f"{shown_code(subject.code)} {subject.name or ''}".strip()), fg="red", err=True)
        click.echo(_("{n} still waiting", n=len(session.queue())))


@click.command("review", help=N_("The re-shoot list: rejected, shot-but-undecided, checked-in-but-unshot and skipped students by college\n"
             "and class; plus unbound takes to rebind or void."))
@click.option("--absent", is_flag=True, help=N_("Also list roster students never checked in."))
@click.option("--from", "sources", multiple=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              metavar="WORKSPACE", help=FROM_HELP)
@json_option()
@pass_app
def review_cmd(app: AppContext, absent: bool, sources: tuple[Path, ...], as_json: bool) -> None:
    from station.outputs.merge import open_sources
    from station.outputs.review import build_review
    from station.session.actions import group_review
    from station.session.elsewhere import accepted_elsewhere_keys
    data = build_review(open_sources(source_workspaces(app, sources)), include_absent=absent,
                        accepted_elsewhere=frozenset(accepted_elsewhere_keys(app.workspace)))
    if as_json:
        echo_json(data)
        return
    if not data["students"]:
        click.echo(_("nobody to re-shoot"))
    for (college, class_name), rows in group_review(data["students"]).items():
        click.echo(f"{college}  {class_name}".rstrip())
        for r in rows:
            extra = f"  ({r['reason']})" if r.get("reason") else ""
            station = f"{r['station_id']} " if len(data["stations"]) > 1 and r.get("station_id") else ""
            click.echo(f"  {pad(review_status_label(r['status']), 9)} "
                       + pad(station + _("No.{shoot_no}", shoot_no=r["shoot_no"] or "-"), 7)
                       + f" {r['code']:<20} {r['name'] or '-'}  " + _("takes {n}", n=r["takes"])
                       + ("  [" + _("bound now") + "]" if r["bound"] else "")
                       + ("  [" + _("walk-in (not on the roster)") + "]" if r.get("walk_in") else "") + extra)
    if data["unbound_takes"]:
        click.echo(_("unbound takes (station rebind TAKE CODE, or station void TAKE --reason ...):"))
        for t in data["unbound_takes"]:
            click.echo("  " + _("take {take}", take=t["take"]) + f"  {t['captured_at']}  {t['file']}")
    if data["overrides"]:
        click.echo(_("accepted with an override (check these):"))
        for o in data["overrides"]:
            click.echo("  " + _("take {take}  {code}  {name}  by {operator}: {reason}  (overrode: {overrode})",
                                take=o["take"], code=f"{o['code']:<20}", name=o["name"] or "-",
                                operator=o["operator"] or "-", reason=o["reason"],
                                overrode=", ".join(c for c in o["overrode"] if c) or "-"))


# ------------------------------------------------------------------------------------------------ schedule
@click.group("schedule", help=N_("The school's shooting schedule (拍摄日程表): which college is in which room when."))
def schedule_group() -> None:
    pass


@schedule_group.command("import", help=N_("Import a schedule (CSV or XLSX: 批次, 单位/学院/系部, 起止时间, 拍摄地点); replaces the previous one."))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, default=None, help=N_("Year for dates written without one (default: this year)."))
@json_option()
@operator_option
@pass_app
def schedule_import_cmd(app: AppContext, file: Path, year: int | None, as_json: bool, operator: str | None) -> None:
    from station.session.schedule import describe, import_schedule
    with open_store(app) as store:
        slots = import_schedule(store, file, year=year, operator=operator)
    if as_json:
        echo_json({"slots": [s.to_dict() for s in slots]})
        return
    click.echo(_("{n} slots imported from {file}", n=len(slots), file=file.name))
    for line in describe(slots):
        click.echo("  " + line)


@schedule_group.command("show", help=N_("Print the imported schedule."))
@json_option()
@pass_app
def schedule_show_cmd(app: AppContext, as_json: bool) -> None:
    from station.session.schedule import describe, load_slots
    with open_read(app) as store:
        slots = load_slots(store)
    if as_json:
        echo_json({"slots": [s.to_dict() for s in slots]})
        return
    for line in describe(slots) or [_("no schedule imported")]:
        click.echo(line)


@click.command("college", help=N_("Show the current college, or set it by hand (for the rest of the day) with NAME."))
@click.argument("name", required=False)
@operator_option
@pass_app
def college_cmd(app: AppContext, name: str | None, operator: str | None) -> None:
    from station.session.college import current_college, set_college
    with open_store(app) as store:
        if name:
            set_college(store, name.strip(), operator=operator)
        click.echo(current_college(store) or _("(no current college: set one with `station college NAME`)"))


# ------------------------------------------------------------------------------------------------ shoot
@click.command("shoot", help=N_("The interactive station: scan, shoot, verdict, accept or re-shoot (full-screen; keys on screen)."))
@click.option("--camera", "camera_spec", default=None,
              help=N_("gphoto, gphoto:MODEL, virtual, virtual:DIR or hotfolder:DIR (default: station.toml)."))
@click.option("--trigger", default="key", show_default=True,
              help=N_("key (shoot keys of station.toml), pedal:DEVICE (python-evdev) or camera (body button only)."))
@click.option("--queue", "queue_mode", is_flag=True, help=N_("Scans join the queue; `n` binds the next student."))
@click.option("--reader", "reader_port", default=None, metavar="PORT",
              help=N_("An ID-card reader at the chair (e.g. /dev/serial/by-id/..., or auto): a swipe binds the "
                      "card's holder as a scan would."))
@operator_option
@pass_app
def shoot_cmd(app: AppContext, camera_spec: str | None, trigger: str, queue_mode: bool, reader_port: str | None,
              operator: str | None) -> None:
    from config.settings import load_settings
    from station.tui.app import run_shoot
    spec = trigger_option(trigger)
    settings = load_settings(app.workspace)
    from station.hub.replicator import start_in_background
    hub = start_in_background(app.workspace)          # a joined station replicates while it shoots (own thread)
    try:
        code = run_shoot(app.workspace, camera_spec=camera_spec or settings.camera.spec, trigger=spec,
                         queue_mode=queue_mode or settings.session.queue_mode, operator=operator, reader=reader_port)
    finally:
        if hub is not None:
            hub.stop()
    if code:
        exit_failed()


COMMANDS = [capture_cmd, accept_cmd, reject_cmd, rebind_cmd, void_cmd, skip_cmd, next_cmd, review_cmd,
            schedule_group, college_cmd, shoot_cmd]
