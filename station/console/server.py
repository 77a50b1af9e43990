"""`station console`: one process that owns the camera and the journal (through the station runtime) and
serves the pages. A reload or a closed tab loses nothing: every page is a view of the journal.

Binds 127.0.0.1 unless --lan. The station's own browser is opened on a one-time pairing link; every other
device pairs with the PIN printed here (see station.console.security).
"""
from __future__ import annotations

import logging
import socket
import threading
import time
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from station.console.live import LiveView
from station.console.security import Pairing
from station.console.state import ConsoleState

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765


@dataclass
class ConsoleServer:
    """A running console: its runtime, uvicorn on a thread, the URLs to open."""
    state: ConsoleState
    host: str
    port: int
    server: Any = None
    thread: threading.Thread | None = None
    extra: list[Callable[[], None]] = field(default_factory=list)   # stop hooks (pedal reader...)

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "127.0.0.1") else self.host
        return f"http://{host}:{self.port}"

    def pairing_link(self, page: str = "/") -> str:
        """A fresh one-time link that pairs the first browser opening it."""
        return f"{self.base_url}/pair?token={self.state.pairing.one_time_link()}&next={page}"

    def start(self) -> "ConsoleServer":
        import uvicorn
        from station.console.app import create_app
        config = uvicorn.Config(create_app(self.state), host=self.host, port=self.port, log_level="warning",
                                access_log=False, lifespan="on", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="console-http", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"the console could not listen on {self.host}:{self.port}")
            time.sleep(0.05)
        if self.port == 0:
            self.port = self.server.servers[0].sockets[0].getsockname()[1]
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
    from station.store import journal
    from station.store.clock import SystemClock
    from station.store.queries import ReadModel
    from station.store.workspace import JOURNAL_FILE

    settings = load_settings(workspace)
    runtime = StationRuntime.open(workspace, camera_spec, operator=operator, queue_mode=queue_mode,
                                  trigger=trigger, frames=frames, reader=reader).start()
    try:
        preset = load_preset(settings.format.preset, workspace)
        read = ReadModel(journal.connect(workspace / JOURNAL_FILE), station_id=settings.station.id,
                         clock=SystemClock())

        def live_source():
            camera = getattr(runtime.controller, "camera", None)
            return open_live_source(camera, live_frames, fps=live_fps)
        pairing = Pairing(announce=lambda pin: announce(f"new PIN (too many wrong ones) 新配对码: {pin}"))
        state = ConsoleState(runtime, workspace=workspace, read_model=read, preset=preset, pairing=pairing,
                             live=LiveView(live_source, preset, paused=lambda: runtime.snapshot().busy))
        server = ConsoleServer(state, "0.0.0.0" if lan else "127.0.0.1", port).start()
    except BaseException:
        runtime.stop()
        raise
    if runtime.station is not None:         # opened by Station.open: its lock names this console's address
        runtime.station.lock.set_url(server.base_url + "/")
    runtime.start_readers()                 # pedal / serial scanner: stopped with the station
    return server


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
