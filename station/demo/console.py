"""`station demo --console`: the scripted session played in the browser console, one step at a time.

The same script as the text demo (station.demo.script.session_script): each typed event is submitted to the
console's StationRuntime (the one controller, owning the journal and the virtual camera fed by the demo's
ScriptedFrames), and the player waits `pace` seconds so a person watching the shoot page sees each student
bound, each take land with its verdict, the refusals, the face check naming the wrong person, the rebind and
the accepts. Then the console's own export runs (progress on the day page). The runtime is never bypassed.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from config.i18n import N_, _
from station.demo.script import DemoPlan, ScriptedFrames, Seen, first_frames, play, prepare_session, session_script
from station.session.snapshot import Message
from station.session.triggers import Event

log = logging.getLogger(__name__)

DEFAULT_PACE = 1.5             # seconds between steps: long enough to read a verdict
PAGE_WAIT = 60.0               # how long the script waits for a page to open before playing to nobody
STEP_TIMEOUT = 120.0
EXPORT_NAME = "demo"


@dataclass
class ConsoleDemo:
    """A console serving the demo workspace, and the thread that plays the script into it."""
    server: Any                                    # station.console.server.ConsoleServer
    plan: DemoPlan
    frames: ScriptedFrames
    stopping: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    summary: dict[str, Any] | None = None
    error: BaseException | None = None
    _thread: threading.Thread | None = None

    @property
    def workspace(self) -> Path:
        return Path(self.server.state.workspace)

    def start(self, *, pace: float, say: Callable[[str], None], page_wait: float = PAGE_WAIT) -> "ConsoleDemo":
        """Play the script on a thread (the caller keeps serving until Ctrl+C)."""
        self._thread = threading.Thread(target=self._run, args=(pace, say, page_wait), name="demo-script",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the current step (Ctrl+C); the console itself is stopped by its owner."""
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(STEP_TIMEOUT)

    # ------------------------------------------------------------------ the player thread
    def _run(self, pace: float, say: Callable[[str], None], page_wait: float) -> None:
        try:
            self._wait_for_page(page_wait, say)
            self._post("info", N_("demo: a scripted session of {n} generated students starts"),
                       n=len(self.plan.students))
            self._play(pace, say)
            self._export(say)
            from station.demo.script import summarise
            self.summary = summary = summarise(self.workspace)
            self._post("ok", N_("demo finished: {accepted} of {students} students accepted, {rejected} takes "
                                "rejected, {rebinds} rebound (read from the journal)"),
                       **{k: summary[k] for k in ("accepted", "students", "rejected", "rebinds")})
            say(_("demo finished: {accepted} of {students} students accepted, {rejected} takes rejected, "
                  "{rebinds} rebound (read from the journal)",
                  **{k: summary[k] for k in ("accepted", "students", "rejected", "rebinds")}))
            say(_("the console keeps serving the demo workspace: Ctrl+C to stop"))
        except _Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - said on the terminal; the console keeps serving
            self.error = exc
            log.exception("the console demo stopped")
            hint = getattr(exc, "hint", None)
            say(_("error: {problem}", problem=exc) + (f"\n  hint: {hint}" if hint else ""))
        finally:
            self.finished.set()

    def _wait_for_page(self, timeout: float, say: Callable[[str], None]) -> None:
        hub, waited = self.server.state.hub, 0.0
        while not hub.clients and waited < timeout:
            if waited == 3.0:        # after the link is printed: say why nothing happens yet
                say(_("waiting for the console page to open (up to {seconds} s)…", seconds=f"{timeout:.0f}"))
            if self.stopping.wait(0.1):
                raise _Stopped()
            waited = round(waited + 0.1, 1)

    def _play(self, pace: float, say: Callable[[str], None]) -> None:
        from station.store.queries import ReadModel
        runtime = self.server.state.runtime
        read = ReadModel.open(self.workspace, station_id=runtime.snapshot().station_id)

        def apply(event: Event) -> Seen:
            if self.stopping.is_set():
                raise _Stopped()
            outcome = runtime.submit(event).result(STEP_TIMEOUT)
            verdict = read.take(outcome.take_id).verdict if outcome.take_id is not None else None
            seen = Seen(outcome, runtime.snapshot(), verdict)
            if self.stopping.wait(pace):
                raise _Stopped()
            return seen
        try:
            play(session_script(self.plan, self.frames, say), apply)
        finally:
            read.conn.close()

    def _export(self, say: Callable[[str], None]) -> None:
        """The console's own export (its progress bar is on the day page); waits for it to end."""
        state = self.server.state
        job = state.start_export(EXPORT_NAME)
        folder = self.workspace / job["folder"]
        self._post("info", N_("demo: exporting every accepted photo to {folder} (progress on the day page)"),
                   folder=job["folder"])
        say(_("export: running, progress on the day page {url}/day; folder {folder}",
              url=self.server.base_url, folder=folder))
        while state.state_json()["export"].get("running"):
            if self.stopping.wait(0.2):
                raise _Stopped()
        result = state.state_json()["export"]
        say(_("export: {message}", message=result.get("message") or ("ok" if result.get("ok") else "failed")))

    def _post(self, level: str, msgid: str, **fields: Any) -> None:
        self.server.state.runtime.post(Message.of(level, msgid, **fields)).result(STEP_TIMEOUT)


class _Stopped(Exception):
    """Ctrl+C while the script plays."""


def open_console_demo(workspace: Path, *, students: int, port: int, say: Callable[[str], None]) -> ConsoleDemo:
    """Prepare the demo workspace and start the console on it, its virtual camera fed by the script."""
    from station.console.server import open_console
    plan = prepare_session(workspace, students=students, say=say)
    frames = first_frames(plan)
    server = open_console(workspace, camera_spec="virtual", port=port, operator="demo", frames=frames,
                          announce=say)
    return ConsoleDemo(server, plan, frames)
