"""Camera commands: `station cameras` (what is plugged in) and `station doctor` (can we shoot, what to fix).

`station capture` is built elsewhere on the camera API; these stay thin: call `camera`, print.
"""
from __future__ import annotations

import json

import click

from config.i18n import N_, _

from station.cli.support import exit_failed, json_option, pad

#: a check's status word as printed (the JSON keeps ok/warn/fail)
CHECK_STATUS = {"ok": N_("OK"), "warn": N_("WARN"), "fail": N_("FAIL")}


@click.command("cameras", help=N_("List the cameras libgphoto2 detects (model, port, battery).\n"
             "\n"
             'Prints "no camera detected" and exits 0 when nothing is plugged in (run `station doctor` to find out\n'
             "why); with --json the list is then empty."))
@json_option(N_("Print a JSON list instead of a table."))
@click.option("--no-battery", is_flag=True, help=N_("Do not open each camera to read its battery level."))
@click.pass_obj
def cameras_cmd(app, as_json: bool, no_battery: bool) -> None:  # type: ignore[no-untyped-def]
    from camera import detect_cameras
    found = detect_cameras(read_battery=not no_battery)
    if as_json:
        click.echo(json.dumps([{"model": c.model, "port": c.port, "battery": c.battery} for c in found],
                              ensure_ascii=False))
        return
    if not found:
        click.echo(_("no camera detected"))
        return
    for cam in found:
        click.echo(f"{cam.model}\t{cam.port}\t" + _("battery {level}", level=cam.battery or "?"))


@click.command("doctor", help=N_("Check that this machine can shoot: libgphoto2, camera drivers, programs holding the camera,\n"
             "camera detection, free disk, workspace permissions, and the ID-card readers plugged in. Prints what to\n"
             "fix; exits 1 when something blocks shooting."))
@json_option(N_("Print the checks as JSON."))
@click.option("--reader", "readers", multiple=True, metavar="PORT",
              help=N_("Probe this port for an ID-card reader (repeatable; default: every USB serial port)."))
@click.pass_obj
def doctor_cmd(app, as_json: bool, readers: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    from camera.doctor import run_checks
    checks = run_checks(app.workspace, list(readers) or None)
    blocking = [c for c in checks if c.status == "fail"]
    if as_json:
        click.echo(json.dumps({"ok": not blocking, "checks": [c.as_dict() for c in checks]}, ensure_ascii=False))
    else:
        for c in checks:
            click.echo(f"{pad(_(CHECK_STATUS.get(c.status, c.status)), 4)}  {_(c.name)}: {c.detail}")
            if c.fix and c.status != "ok":
                click.echo("      " + _("fix: {fix}", fix=c.fix))
        click.echo(_("ready to shoot") if not blocking
                   else _("{n} problem(s) block shooting", n=len(blocking)))
    if blocking:
        exit_failed()


COMMANDS = [cameras_cmd, doctor_cmd]
