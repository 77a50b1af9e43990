"""`station console`: the station in the browser (shoot, desk, review, day pages), on the one controller."""
from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from config.i18n import N_, _

from station.cli.support import AppContext, pass_app


@click.command("console", help=N_("Serve the station in the browser and open it. One process owns the camera and the journal; every page\n"
             "is a view of the journal, so a reload or a closed tab loses nothing. Stop with Ctrl-C."))
@click.option("--port", default=8765, show_default=True, help=N_("TCP port of the pages."))
@click.option("--lan", is_flag=True, help=N_("Listen on every address (a desk tablet pairs with the PIN shown here); "
                                          "default: this computer only (127.0.0.1)."))
@click.option("--camera", "camera_spec", default=None,
              help=N_("gphoto, gphoto:MODEL, virtual, virtual:DIR or hotfolder:DIR (default: station.toml)."))
@click.option("--trigger", default="key", show_default=True,
              help=N_("key (keys in the page), pedal:DEVICE (python-evdev) or camera (body button only)."))
@click.option("--queue", "queue_mode", is_flag=True, help=N_("Scans at the station join the queue; Next binds."))
@click.option("--live-frames", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help=N_("Live view from this folder of JPEG frames (the virtual camera has no live view)."))
@click.option("--no-open", is_flag=True, help=N_("Do not open a browser here (a station without a local browser)."))
@click.option("--operator", default=None, envvar="STATION_OPERATOR", help=N_("Who operates the station."))
@click.option("--reader", "reader_port", default=None, metavar="PORT",
              help=N_("An ID-card reader at the chair (e.g. /dev/serial/by-id/..., or auto): a swipe binds the "
                      "card's holder as a scan would."))
@pass_app
def console_cmd(app: AppContext, port: int, lan: bool, camera_spec: str | None, trigger: str, queue_mode: bool,
                live_frames: Path | None, no_open: bool, operator: str | None, reader_port: str | None) -> None:
    from config.settings import load_settings
    from station.console.server import lan_addresses, open_browser, open_console
    from station.cli.commands.session import trigger_option
    spec = trigger_option(trigger)
    settings = load_settings(app.workspace)
    server = open_console(app.workspace, camera_spec=camera_spec or settings.camera.spec,
                          trigger=str(spec), lan=lan, port=port,
                          live_frames=live_frames, operator=operator,
                          queue_mode=True if queue_mode else None, announce=click.echo, reader=reader_port)
    from station.hub.replicator import start_in_background
    hub = start_in_background(app.workspace)          # a joined station replicates while it serves (own thread)
    try:
        serve(server, lan=lan, no_open=no_open, addresses=lan_addresses() if lan else [], opener=open_browser)
    finally:
        if hub is not None:
            hub.stop()
        server.stop()


def serve(server, *, lan: bool, no_open: bool, addresses: list[str], opener) -> None:  # type: ignore[no-untyped-def]
    """Print how to reach the console, open the local browser, wait for Ctrl-C (or SIGTERM)."""
    click.echo(_("station console: {url}/", url=server.base_url))
    click.echo("  " + _("pairing PIN: {pin}   (other devices: /pair)", pin=server.state.pairing.pin))
    if server.state.pairing.locked:
        click.echo("  " + _("pairing locked: too many wrong PINs; reopen it on the station's console page"))
    for address in addresses:
        click.echo(f"  LAN: http://{address}:{server.port}/pair")
    # the browser gets an owner-only file's name, never the link itself: a command line is public (`ps`)
    if no_open or not opener(server.open_file("/shoot").as_uri()):
        link = server.pairing_link("/shoot")
        click.echo("  " + _("open this one-time link in the station's browser: {link}", link=link))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    click.echo(_("station console: stopped (everything is in the journal)"))


COMMANDS = [console_cmd]
