"""One way to open a station: `Station.open(workspace, camera, trigger)` wires everything an interactive front end
needs, once, for the terminal screen, the browser console and the demo alike.

In order: the workspace lock (one interactive station per workspace, `station.session.lock`), the store with
its settings and clock, the journal reconciled with the disk, the camera handle, the session and its controller,
what a crash left finished (a take without a verdict is judged now; a binding from an earlier day ends), and the
greeting on every screen. Device readers (foot pedal, serial scanner) are started by `start_readers(sink)`:
each reader hands typed events to the front end's sink (the terminal's key queue, the runtime's submit).
`close()` undoes it all, the lock last.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from config.errors import DomainError
from config.i18n import N_, _
from station.core.idnumber import mask_code
from station.session.controller import StationController
from station.session.lock import TAKEN_OVER, WorkspaceLock
from station.session.triggers import CardSwipe, Event, Pedal, ReaderStatus, Scan, TriggerSpec
from station.store.clock import Clock

log = logging.getLogger(__name__)

#: where a device reader's events go: the event and the monotonic time it was read
Sink = Callable[[Event, float], None]


@dataclass
class Station:
    """An open interactive station: its lock, store, camera, session and controller, and the readers it runs."""
    lock: WorkspaceLock
    controller: StationController
    trigger: TriggerSpec
    reader_port: str | None = None          # the ID-card reader at the chair (`--reader PORT`, or auto)
    readers: list[Callable[[], None]] = field(default_factory=list)    # stop functions
    warming: threading.Thread | None = None      # the models loading while the first student sits down

    @property
    def store(self) -> Any:
        return self.controller.store

    @property
    def session(self) -> Any:
        return self.controller.session

    @property
    def camera(self) -> Any:
        return self.controller.camera

    @classmethod
    def open(cls, workspace: Path, camera: str | None, trigger: str | TriggerSpec = "key", *,
             kind: str = "shoot", operator: str | None = None, queue_mode: bool | None = None,
             frames: Iterator[bytes] | None = None, clock: Clock | None = None,
             judge_leftovers: bool = True, reader: str | None = None) -> "Station":
        """Lock the workspace for this process and open everything (raises WorkspaceBusy when another
        interactive station holds it; nothing else is opened then). `camera`: a spec ("virtual",
        "hotfolder:DIR"...; None: no camera). `kind` names this process in the lock (shoot | console | demo)."""
        from station.session.actions import Session
        from station.session.camera_source import CameraHandle
        from station.store.workspace import Store
        spec = TriggerSpec.parse(trigger)
        lock = WorkspaceLock.acquire(workspace, kind, now=clock.now if clock is not None else None)
        store = None
        try:
            store = Store.open(workspace, clock=clock)
            handle = CameraHandle(camera, store.settings, store.workspace, frames=frames) if camera else None
            session = Session(store, operator=operator, camera=handle, queue_mode=queue_mode)
            controller = StationController(session, handle, trigger=spec, queue_mode=queue_mode)
            station = cls(lock, controller, spec, reader)
            station._greet(judge_leftovers=judge_leftovers)
            station.warming = threading.Thread(target=_warm_up, name="warm-up", daemon=True)
            station.warming.start()
        except BaseException:
            if store is not None:
                store.close()
            lock.release()
            raise
        return station

    # ------------------------------------------------------------------ start
    def _greet(self, *, judge_leftovers: bool) -> None:
        """What a restart finds, said on every screen; what a crash left, finished."""
        controller, store, session = self.controller, self.store, self.session
        say = controller.say
        if self.lock.taken_over is not None:
            say("warn", TAKEN_OVER, who=self.lock.taken_over.describe())
        recon = store.reconcile()
        for rel in recon.orphans:
            say("warn", N_("orphan original found (kept, not journalled): {file}"), file=rel)
        from station.session.recovery import finish_leftovers
        finish_leftovers(controller, judge=judge_leftovers)
        bound = session.bound()
        if bound is not None:
            say("info", N_("station ready — resumed: {code} is bound"), code=mask_code(bound.code))
        else:
            say("info", N_("station ready"))
        camera = self.camera
        if camera is not None and not camera.open():
            say("error", N_("camera: {error} (retrying)"), error=camera.error)

    def start_readers(self, sink: Sink) -> None:
        """Start the pedal (`--trigger pedal:DEVICE`) and the serial scanner (station.toml) feeding `sink`.
        A reader that cannot start is said on the screen; the keyboard still works."""
        settings = self.store.settings
        if self.trigger.pedal:
            self.readers.append(start_pedal(self.trigger.device, settings.triggers.pedal_key, sink))
        if self.reader_port:
            self.readers.append(self._start_card_reader(self.reader_port, sink))
        port = settings.triggers.serial_port
        if port:
            from station.session.serial_scanner import SerialScanner
            try:
                scanner = SerialScanner(port, lambda text, at: sink(Scan(text, via="serial"), at)).start()
            except OSError as exc:
                self.controller.say("error", N_("serial scanner {port}: {error} (the keyboard still works)"),
                                    port=port, error=exc.strerror or str(exc))
            else:
                self.readers.append(scanner.stop)

    def _start_card_reader(self, port: str, sink: Sink) -> Callable[[], None]:
        """The ID-card reader at the chair: a swipe is a CardSwipe, the reader's news a ReaderStatus. A reader
        that cannot be opened is said (the status line shows it lost); the station works without it."""
        from camera.idcard import CardRead, CardRefused, IdCardReader, ReaderLost, ReaderReady
        from station.session.snapshot import ReaderState

        def on_event(event: Any) -> None:
            now = time.monotonic()
            if isinstance(event, CardRead):
                sink(CardSwipe(event.card), event.at)
            elif isinstance(event, ReaderReady):
                sink(ReaderStatus("connected", event.port), now)
            elif isinstance(event, CardRefused):
                sink(ReaderStatus("refused", event.port, event.reason), event.at)
            elif isinstance(event, ReaderLost):
                sink(ReaderStatus("lost", event.port, event.reason), now)
        try:
            if port == "auto":
                from camera.idcard import list_readers
                found = list_readers()
                if not found:
                    from camera.sam import ReaderUnavailable
                    raise ReaderUnavailable(_("no ID-card reader answers on any USB serial port"))
                port = found[0].port
            self.controller.reader = ReaderState(port, "starting")
            reader = IdCardReader(port, on_event=on_event).start()
        except DomainError as exc:
            sink(ReaderStatus("lost", port, str(exc)), time.monotonic())
            return lambda: None
        return reader.stop

    # ------------------------------------------------------------------ stop
    def close(self) -> None:
        """Stop the readers, close the camera and the journal, free the workspace (in that order)."""
        try:
            for stop in self.readers:
                try:
                    stop()
                except Exception:  # noqa: BLE001 - the others must still stop
                    log.exception("stopping a reader failed")
            self.readers.clear()
            if self.camera is not None:
                self.camera.close()
            self.store.close()
        finally:
            self.lock.release()


def start_pedal(device: str, key: str, sink: Sink) -> Callable[[], None]:
    """A foot pedal on its own input device: each press is a Pedal event (the controller decides). The ONE
    place the pedal is started; returns its stop function."""
    from camera.pedal import PedalReader
    reader = PedalReader(device, lambda: sink(Pedal(), time.monotonic()), keys=(key,)).start()
    return reader.stop


def _warm_up() -> None:
    """Load the verdict's models in the background: the first take's verdict would otherwise wait ~0.3 s for
    them. (Not the likeness models: loading them holds Python's lock for ~0.3 s at a stretch, which would stall
    the console while it opens; they load at the first face check, after the first verdict is on screen.)
    A model that cannot load is only logged here: the first verdict says it on the screen."""
    try:
        import pipeline
        pipeline.warm_up()
    except Exception:  # noqa: BLE001 - said by the first verdict instead
        log.warning("loading the face models ahead failed", exc_info=True)
