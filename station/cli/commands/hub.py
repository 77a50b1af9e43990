"""`station hub ...`: several rooms, one day. The coordinator runs the hub; each station joins and syncs."""
from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from config.i18n import N_, _
from station.cli.support import AppContext, echo_json, json_option, pass_app

DATA = click.option("--data", "data", required=True, type=click.Path(file_okay=False, path_type=Path),
                    help=N_("The hub's folder (stream, photos, credential, certificate)."))


@click.group("hub", help=N_("Several rooms, one day: a hub (NATS JetStream) that every station of the school "
                            "replicates its journal and photos to."))
def hub_group() -> None:
    pass


@hub_group.command("start", help=N_("Run the hub on this computer until Ctrl+C and print the line each station "
                                    "needs to join."))
@DATA
@click.option("--listen", default=None, metavar="HOST:PORT",
              help=N_("Where stations reach the hub (default 127.0.0.1:4222; 0.0.0.0:4222 for the school LAN)."))
@click.option("--no-tls", is_flag=True, help=N_("Plain connections (tests only)."))
@click.option("--new-token", is_flag=True, help=N_("Make a new credential: every earlier join line stops working."))
@click.option("--page-port", type=int, default=8770, show_default=True,
              help=N_("Also serve the hub's day page on this port (127.0.0.1); 0: no page."))
def start_cmd(data: Path, listen: str | None, no_tls: bool, new_token: bool, page_port: int | None) -> None:
    from station.hub import server
    from station.hub.view import wait_ready
    hub = server.prepare(data, listen=listen, tls=not no_tls, new_token=new_token)
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        stop.set()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)
    supervisor = server.Supervisor(hub, on_event=lambda text: click.echo(text, err=True))
    supervisor.start()
    page = None
    try:
        wait_ready(hub)
        if page_port:
            from station.hub.page import serve_page
            page = serve_page(hub, page_port)
            click.echo(_("hub day page: http://127.0.0.1:{port}/", port=page_port))
        click.echo(_("hub running at {url} (server pid {pid}); on each station run:", url=hub.url(),
                     pid=supervisor.pid))
        host = hub.host if hub.host not in ("0.0.0.0", "") else "HUB-ADDRESS"
        click.echo(hub.join_line(host))
        while not stop.wait(0.5):
            pass
    finally:
        supervisor.stop()
        if page is not None:
            page.stop()
        click.echo(_("hub stopped"), err=True)


@hub_group.command("join", help=N_("Join this station to the school's hub (the line `station hub start` printed)."))
@click.argument("url")
@click.option("--token", required=True, help=N_("The token from the hub's join line."))
@pass_app
def join_cmd(app: AppContext, url: str, token: str) -> None:
    from station.hub.link import join
    link = join(app.workspace, url, token)
    click.echo(_("station {station} joined the hub at {url}; run `station hub sync` (shoot and console sync "
                 "by themselves)", station=link.station_id, url=link.url))


@hub_group.command("sync", help=N_("Replicate this workspace to the hub until Ctrl+C (and see the other rooms)."))
@pass_app
def sync_cmd(app: AppContext) -> None:
    from station.hub.replicator import run_forever

    def said(state: str, problem: str) -> None:
        if state == "connected":
            click.echo(_("hub: connected"))
        else:
            click.echo(_("hub: {state}: {problem}", state=state, problem=problem), err=True)
    run_forever(app.workspace, on_state=said)


@hub_group.command("status", help=N_("Is the hub reached, and how many events wait to go."))
@json_option()
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    from station.hub.replicator import describe, status_line
    info = describe(app.workspace)
    if as_json:
        echo_json(info)
        return
    click.echo(status_line(info))
    if info.get("problem") and info.get("state") != "connected":
        click.echo("  " + info["problem"])
    for station, last in sorted(info.get("others", {}).items()):
        click.echo(_("  {station}: last event {id} at {ts}", station=station, id=last["id"], ts=last["ts"]))


def _through_the_day(ctx: click.Context, data: Path, command: list[str], extra: list[str]) -> None:
    """Run a station command (report, export) over the hub's day: one replica workspace per station, rebuilt
    from the stream and the object store, given as --from workspaces (the same merge, the same files)."""
    from config.i18n import current_language
    from station.hub.server import HubError, load
    from station.hub.view import DayCopy
    hub = load(data)
    with DayCopy(hub) as workspaces:
        if not workspaces:
            raise HubError(_("the hub has no station's events yet"),
                           hint=_("stations join with the line `station hub start` printed, then sync"))
        args = ["--lang", current_language(), "-w", str(workspaces[0]), *command]
        for ws in workspaces[1:]:
            args += ["--from", str(ws)]
        root = ctx.find_root().command
        code = root.main([*args, *extra], standalone_mode=False)
    ctx.exit(code or 0)


PASS_ON = {"ignore_unknown_options": True, "allow_extra_args": True}


@hub_group.command("report", context_settings=PASS_ON,
                   help=N_("The day's report over every station that replicated to the hub (the options of "
                           "`station report`, e.g. --format json)."))
@DATA
@click.pass_context
def report_cmd(ctx: click.Context, data: Path) -> None:
    _through_the_day(ctx, data, ["report"], list(ctx.args))


@hub_group.command("export", context_settings=PASS_ON,
                   help=N_("Export the day from the hub into OUTDIR: the same folders and files as `station export "
                           "--from` over copies of every station (the options of `station export`, e.g. --zip)."))
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@DATA
@click.pass_context
def export_cmd(ctx: click.Context, outdir: Path, data: Path) -> None:
    _through_the_day(ctx, data, ["export", str(outdir.resolve())], list(ctx.args))


COMMANDS = [hub_group]
