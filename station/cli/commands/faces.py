"""`station purge-faces` and `station roster photos`: the face data of issue 13 (see station/faces/)."""
from __future__ import annotations

from pathlib import Path

import click

from config.i18n import N_, _
from station.cli.support import (AppContext, echo_json, exit_failed, finish_partial, json_option, open_store,
                                 partial_ok_option, pass_app, progress_for)


@click.command("purge-faces", help=N_("Delete every face embedding and enrolment-photo thumbnail of the workspace (the faces/ folder).\n"
             "\n"
             "Photos, originals and the journal are not touched; the face checks simply have nothing to compare\n"
             "with until new takes are shot or enrolment photos imported again."))
@click.option("--yes", is_flag=True, help=N_("Do not ask for confirmation."))
@json_option(N_("Print what was deleted as JSON."))
@pass_app
def purge_faces_cmd(app: AppContext, yes: bool, as_json: bool) -> None:
    from station.store.faces import face_counts, purge
    with open_store(app):
        pass                                # refuses, as every command does, where there is no workspace
    counts = face_counts(app.workspace)
    if not yes:
        click.confirm(_("delete {takes} take faces and {enrolment} enrolment photos of {workspace}?",
                        workspace=app.workspace, **counts), abort=True, err=True)
    done = purge(app.workspace)
    if as_json:
        echo_json({"deleted": done})
        return
    click.echo(_("deleted {takes} take faces and {enrolment} enrolment photos", **done))


COMMANDS = [purge_faces_cmd]


def photos_cmd_factory() -> click.Command:
    """`station roster photos DIR`, attached to the roster group (kept here, with the face commands)."""

    @click.command("photos", help=N_("Import the school's enrolment photos (学籍照片) from FOLDER as reference faces.\n"
                 "\n"
                 "\x08\n"
                 "Files are named by student number or ID number (2019000001.jpg, 110105199801010000.png), JPEG\n"
                 "or PNG, any size. Each must decode completely and show exactly one face. Any bad file: every\n"
                 "bad file is listed with its reason and nothing is imported (exit 1), unless --skip-invalid.\n"
                 "Only the face embedding and a small thumbnail are kept (WORKSPACE/faces/, owner-only; deleted\n"
                 "by `station purge-faces`); a student's later import replaces their earlier photo."))
    @click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--skip-invalid", is_flag=True, help=N_("Import the good photos, list the refused ones (exit 1 "
                                                       "unless --partial-ok)."))
    @click.option("--dry-run", is_flag=True, help=N_("Check every photo; store nothing."))
    @partial_ok_option
    @json_option(N_("Print the import report as JSON."))
    @pass_app
    def photos_cmd(app: AppContext, folder: Path, skip_invalid: bool, dry_run: bool, partial_ok: bool,
                   as_json: bool) -> None:
        from station.faces.enrolment import import_photos
        with open_store(app) as store, progress_for(as_json) as bar:
            started: list[int] = []

            def show(n: int, total: int) -> None:
                if not started:
                    bar.start(_("enrolment photos"), total)
                    started.append(total)
                bar.advance(1)
            report = import_photos(store, folder, skip_invalid=skip_invalid, dry_run=dry_run, progress=show)
        failed = bool(report.refused) and not skip_invalid
        if as_json:
            echo_json({"ok": not failed, **report.as_dict()})
        else:
            for r in report.refused:
                click.echo(_("refused {file}: {reason}", **r), err=True)
            if report.written:
                click.echo(_("imported {n} enrolment photos ({replaced} replaced an earlier one)",
                             n=len(report.imported), replaced=report.replaced))
            elif failed:
                click.echo(_("{n} files refused: nothing imported", n=len(report.refused)), err=True)
            else:
                click.echo(_("{n} enrolment photos checked: nothing imported", n=len(report.imported)))
        if failed:
            exit_failed()
        finish_partial(len(report.refused), partial_ok)

    return photos_cmd


def _attach() -> None:
    from station.cli.commands.roster import roster_group
    if "photos" not in roster_group.commands:
        roster_group.add_command(photos_cmd_factory())


_attach()
