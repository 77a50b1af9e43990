"""`station purge-faces` and `station roster photos`: the face data of issue 13 (see station/faces/)."""
from __future__ import annotations

import click

from config.i18n import _
from station.cli.support import AppContext, echo_json, open_store, pass_app


@click.command("purge-faces")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print what was deleted as JSON.")
@pass_app
def purge_faces_cmd(app: AppContext, yes: bool, as_json: bool) -> None:
    """Delete every face embedding and enrolment-photo thumbnail of the workspace (the faces/ folder).

    Photos, originals and the journal are not touched; the face checks simply have nothing to compare
    with until new takes are shot or enrolment photos imported again.
    """
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
