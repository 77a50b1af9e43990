"""The station controller on its own worker thread: the way any front end (terminal, browser) drives it.

One thread owns the controller, the journal connection it uses and the camera: events are processed one at a
time in arrival order, and between events the same thread polls the camera (button / hot-folder frames), probes
its health and watches the journal for writes by another process (`station checkin --queue` at the desk).
Any thread may `submit` an event (a Future of its Outcome comes back), `subscribe` to changes, or read the last
`snapshot()` (built by the worker after every change, so reading it never touches SQLite or the camera).
"""
from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from station.session.controller import StationController
from station.session.snapshot import Message, Outcome, Snapshot
from station.session.triggers import Event, TriggerSpec

if TYPE_CHECKING:
    from station.session.station import Station

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2                 # camera frames and journal changes are looked for this often

Subscriber = Callable[[Snapshot], None]


class StationRuntime:
    """Owns a StationController on one worker thread. Use `StationRuntime.open(...)` or pass a factory."""

    def __init__(self, make_controller: Callable[[], StationController], *, poll_seconds: float = POLL_SECONDS,
                 close: Callable[[StationController], None] | None = None) -> None:
        self._make = make_controller
        self._close = close
        self._poll = poll_seconds
        self._inbox: "queue.Queue[tuple[Event, Future[Outcome]] | None]" = queue.Queue()
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._snapshot: Snapshot | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.controller: StationController | None = None   # for tests / the worker only: not thread-safe
        self.station: "Station | None" = None                # set when opened by `StationRuntime.open`

    @classmethod
    def open(cls, workspace: Path, camera_spec: str | None, *, operator: str | None = None,
             queue_mode: bool | None = None, trigger: "str | TriggerSpec" = "key",
             poll_seconds: float = POLL_SECONDS, frames: Iterator[bytes] | None = None,
             kind: str = "console", reader: str | None = None) -> "StationRuntime":
        """A runtime for a workspace and a camera spec ("virtual", "usb:...", "hotfolder:DIR"; None: no camera),
        opened by `Station.open` (the workspace lock first: `start()` raises WorkspaceBusy when another
        interactive station holds it). `frames`: the pictures plain `virtual` delivers (a scripted session,
        e.g. `station demo --console`) instead of its drawn portraits. Opened on the worker thread by `start()`."""
        runtime: "StationRuntime"

        def make() -> StationController:
            from station.session.station import Station
            runtime.station = Station.open(workspace, camera_spec, trigger, kind=kind, operator=operator,
                                           queue_mode=queue_mode, frames=frames, reader=reader)
            return runtime.station.controller

        def close(controller: StationController) -> None:
            if runtime.station is not None:
                runtime.station.close()
        runtime = cls(make, poll_seconds=poll_seconds, close=close)
        return runtime

    def start_readers(self) -> None:
        """Start the station's device readers (pedal, serial scanner), each press or scan submitted here."""
        if self.station is None:
            return
        from dataclasses import replace
        self.station.start_readers(lambda event, at: self.submit(replace(event, at=at)))

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "StationRuntime":
        """Start the worker; returns when the controller is up (raises what opening it raised)."""
        self._thread = threading.Thread(target=self._run, name="station-controller", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the events already submitted, then close the camera and the journal."""
        if self._thread is None:
            return
        self._inbox.put(None)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> "StationRuntime":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ any thread
    def submit(self, event: Event) -> "Future[Outcome]":
        """Queue one typed event; the Future resolves to its Outcome once the worker has applied it."""
        future: "Future[Outcome]" = Future()
        if self._thread is None:
            future.set_exception(RuntimeError("the station runtime is not running"))
            return future
        self._inbox.put((event, future))
        return future

    def post(self, message: Message) -> "Future[Outcome]":
        """Show a ready message on every screen (a server's own news: a scripted demo's narration, an
        export that finished); it goes through the worker like an event, so it lands in order."""
        return self.submit(message)      # type: ignore[arg-type]  - the worker tells a Message from an Event

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(snapshot)` after every state change (on the worker thread: keep it short, e.g. hand
        it to an event loop with call_soon_threadsafe). Returns the function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)
        return unsubscribe

    def snapshot(self) -> Snapshot:
        """The latest snapshot (never blocks on the camera or the journal)."""
        with self._lock:
            if self._snapshot is None:
                raise RuntimeError("the station runtime is not started")
            return self._snapshot

    def wait_for_change(self, version: int, timeout: float | None = None) -> Snapshot:
        """Block until the snapshot's version differs from `version` (or timeout); returns the latest one.
        For server-sent events: `snap = rt.wait_for_change(snap.version, 15)` in a thread."""
        with self._changed:
            self._changed.wait_for(lambda: self._snapshot is not None and self._snapshot.version != version,
                                   timeout)
            assert self._snapshot is not None
            return self._snapshot

    # ------------------------------------------------------------------ the worker
    def _run(self) -> None:
        try:
            controller = self.controller = self._make()
            # the face check after the verdict is published (settle); the photo in line: a browser shows it at once
            controller.session.defer_after = True
            controller.on_progress = lambda: self._publish(controller)
            self._publish(controller)
        except BaseException as exc:  # noqa: BLE001 - handed to start()'s caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                try:
                    item = self._inbox.get(timeout=self._poll)
                except queue.Empty:
                    item = ()        # type: ignore[assignment]
                if item is None:
                    return
                if item:
                    self._apply(controller, *item)
                    if not self._inbox.empty():
                        continue     # keep up with a burst; the camera is polled when the inbox is idle
                before = controller.version
                controller.tick()
                if controller.version != before:
                    self._publish(controller)
                    if controller.settle():      # a camera-button shot's face check, after its verdict is out
                        self._publish(controller)
        finally:
            controller.settle()          # never raises: the last shot's face check before the journal closes
            if self._close is not None:
                self._close(controller)

    def _apply(self, controller: StationController, event: Event, future: "Future[Outcome]") -> None:
        """One event; its snapshot is published BEFORE the future resolves, so `submit(e).result()` followed
        by `snapshot()` shows the event's effect (a shot's: published once with its verdict, then again with
        its photo and face check, and only then resolved)."""
        if not future.set_running_or_notify_cancel():
            return
        try:
            if isinstance(event, Message):
                outcome = Outcome("done", controller.post(event), version=controller.version)
            else:
                outcome = controller.handle(event)
        except BaseException as exc:  # noqa: BLE001 - a bad event (not a station event) must not end the worker
            future.set_exception(exc)
            return
        self._publish(controller)        # a shot's verdict on every screen, then what follows it (settle)
        if controller.settle():          # the photo, face check, validation, preview: before the next event
            self._publish(controller)
        future.set_result(outcome)       # the caller sees the settled take

    def _publish(self, controller: StationController) -> None:
        try:
            snap = controller.snapshot()
        except Exception:  # noqa: BLE001 - a snapshot bug must not end the station; keep the last one
            log.exception("building the snapshot failed")
            return
        with self._changed:
            self._snapshot = snap
            subscribers = list(self._subscribers)
            self._changed.notify_all()
        for callback in subscribers:
            try:
                callback(snap)
            except Exception:  # noqa: BLE001 - one broken screen must not stop the others
                log.exception("a snapshot subscriber failed")
