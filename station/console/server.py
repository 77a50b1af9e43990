"""`station console`: one process that owns the camera and the journal (through the station runtime) and
serves the pages. A reload or a closed tab loses nothing: every page is a view of the journal.

Binds 127.0.0.1 unless --lan. The station's own browser is opened on a one-time pairing link handed over in
an owner-only file (never on a command line, where `ps` shows it to every user); every other device pairs with
the PIN shown on the station's page (see station.console.security). Idle and half-sent connections are bounded
(station.console.connections), the Host header and body sizes are checked first (station.console.guard).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from config.errors import DomainError
from config.i18n import _
from station.console.connections import Gate, protocol_for, raise_descriptor_limit, rate_limit_logs
from station.console.guard import Guard, allowed_hosts
from station.console.live import GeneratedLiveSource, LiveView
from station.console.security import PAIRING_FILE, Pairing
from station.console.state import ConsoleState

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
OPEN_FILE = "console-open.html"      # the one-time link for the station's browser (0600, removed once used)


@dataclass
class ConsoleServer:
    """A running console: its runtime, uvicorn on a thread, the URLs to open."""
    state: ConsoleState
    host: str
    port: int
    server: Any = None
    thread: threading.Thread | None = None
    extra: list[Callable[[], None]] = field(default_factory=list)   # stop hooks (pedal reader...)
    hosts: frozenset[str] = frozenset()
    gate: Gate = field(default_factory=Gate)

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "127.0.0.1") else self.host
        return f"http://{host}:{self.port}"

    def pairing_link(self, page: str = "/") -> str:
        """A fresh one-time link that pairs the first browser opening it."""
        return f"{self.base_url}/pair?token={self.state.pairing.one_time_link()}&next={page}"

    def open_file(self, page: str = "/shoot") -> Path:
        """The one-time link in an owner-only page of the workspace: the station's browser is given this
        file's name, which tells nobody anything (a command line is readable by every local user)."""
        from station.store.durable import _write_temp
        link = self.pairing_link(page)
        html = (f'<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
                f'<meta http-equiv="refresh" content="0;url={link}"><a href="{link}">station console</a>')
        path = self.state.workspace / OPEN_FILE
        os.replace(_write_temp(path, html.encode()), path)
        return path

    def _check_port_free(self) -> None:
        """A port another program holds is the operator's to fix: say so in one line before uvicorn logs its own."""
        if self.port == 0:
            return
        probe = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((self.host, self.port))
        except OSError:
            raise self._cannot_listen() from None
        finally:
            probe.close()

    def _cannot_listen(self) -> DomainError:
        return DomainError(_("the console could not listen on {host}:{port}: the port is in use or not allowed",
                             host=self.host, port=self.port),
                           hint=_("choose another port with --port, or stop the program that holds it"))

    def start(self) -> "ConsoleServer":
        import uvicorn
        from station.console.app import create_app
        raise_descriptor_limit()
        self._check_port_free()
        rate_limit_logs("asyncio", "uvicorn.error", "station.console", "station.console.app")
        if not self.hosts:
            self.hosts = allowed_hosts(self.host, lan_names() if self.host == "0.0.0.0" else ())
        app = Guard(create_app(self.state), lambda: self.hosts)
        config = uvicorn.Config(app, host=self.host, port=self.port, log_level="warning", http=protocol_for(self.gate),
                                access_log=False, lifespan="on", timeout_graceful_shutdown=2,
                                timeout_keep_alive=5, h11_max_incomplete_event_size=16 * 1024)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="console-http", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise self._cannot_listen()
            time.sleep(0.05)
        if self.port == 0:
            self.port = self.server.servers[0].sockets[0].getsockname()[1]
        lan = [f"http://{a}:{self.port}/pair" for a in lan_addresses()] if self.host == "0.0.0.0" else []
        self.state.pair_urls = (*lan, f"{self.base_url}/pair")
        return self

    def stop(self) -> None:
        for hook in self.extra:
            hook()
        self.state.hub.close()            # open pages' streams end first: a clean shutdown, no traceback
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        if self.state.live is not None:
            self.state.live.close()
        self.state.runtime.stop()
        self.state.read.conn.close()
        (self.state.workspace / OPEN_FILE).unlink(missing_ok=True)


def open_console(workspace: Path, *, camera_spec: str | None, trigger: str = "keys", lan: bool = False,
                 port: int = DEFAULT_PORT, live_frames: Path | None = None, live_fps: float = 12.0,
                 operator: str | None = None, queue_mode: bool | None = None,
                 announce: Callable[[str], None] = print, frames: Iterator[bytes] | None = None,
                 reader: str | None = None) -> ConsoleServer:
    """Start the runtime (camera + journal on its worker) and the web server; return the running console.
    `frames`: what a plain virtual camera delivers (the demo's scripted people; see StationRuntime.open)."""
    from camera.live import open_live_source
    from config.formats import load_preset
    from config.settings import load_settings
    from station.session.runtime import StationRuntime
    from station.store.queries import ReadModel

    settings = load_settings(workspace)
    runtime = StationRuntime.open(workspace, camera_spec, operator=operator, queue_mode=queue_mode,
                                  trigger=trigger, frames=frames, reader=reader).start()
    if settings.hub.url and runtime.controller is not None:        # joined: the hub's line on the pages
        from station.hub.replicator import screen_status
        runtime.controller.hub_status = lambda: screen_status(workspace)
    try:
        preset = load_preset(settings.format.preset, workspace)
        read = ReadModel.open(workspace, station_id=settings.station.id)      # the console's reads: read-only

        def live_source():
            camera = getattr(runtime.controller, "camera", None)
            if live_frames is None and str(getattr(camera, "spec", "")).startswith("virtual"):
                return GeneratedLiveSource(fps=live_fps)      # libgphoto2's virtual camera has no preview
            return open_live_source(camera, live_frames, fps=live_fps)

        def camera_settings() -> dict[str, str]:
            body = getattr(getattr(runtime.controller, "camera", None), "_camera", None)   # opened by the worker
            return body.get_settings() if body is not None else {}
        pairing = Pairing(workspace / PAIRING_FILE, announce=lambda what: announce(_pairing_locked()),
                          clock=read.clock)
        state = ConsoleState(runtime, workspace=workspace, read_model=read, preset=preset, pairing=pairing,
                             live=LiveView(live_source, preset, paused=lambda: runtime.snapshot().busy,
                                           read_settings=camera_settings))
        server = ConsoleServer(state, "0.0.0.0" if lan else "127.0.0.1", port).start()
    except BaseException:
        runtime.stop()
        raise
    if runtime.station is not None:         # opened by Station.open: its lock names this console's address
        runtime.station.lock.set_url(server.base_url + "/")
    runtime.start_readers()                 # pedal / serial scanner: stopped with the station
    return server


def _pairing_locked() -> str:
    from config.i18n import _
    return _("pairing locked: too many wrong PINs; reopen it on the station's console page")


def lan_names() -> list[str]:
    """Every name a LAN device may reach this console by (addresses, host name)."""
    name = socket.gethostname().lower()
    return [*lan_addresses(), name, f"{name}.local", socket.getfqdn().lower()]


def lan_addresses() -> list[str]:
    """This machine's addresses other devices can reach (printed with --lan)."""
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(info[4][0])
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


def open_browser(url: str) -> bool:
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
