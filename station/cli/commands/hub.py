"""`station hub ...`: several rooms, one day. The coordinator runs the hub; each station joins and syncs."""
from __future__ import annotations

import signal
import threading
import time
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
@click.option("--page-port", type=int, default=None,
              help=N_("Also serve the hub's day page on this port (127.0.0.1)."))
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
    try:
        wait_ready(hub)
        page = None
        if page_port is not None:
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
        if page_port is not None and page is not None:
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
@json_option
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


COMMANDS = [hub_group]
