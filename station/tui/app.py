"""`station shoot`: the full-screen loop the photographer and the operator use all day — the terminal RUNTIME.

It is a front end of the one station controller (`station.session.controller.StationController`): the raw
terminal's keys (`station.tui.keys`: fast bursts ending in Enter are scans, slow single keys are commands), the
foot pedal thread and the serial scanner thread all feed ONE queue; each item becomes a typed event
(`station.session.triggers`) the controller applies; the screen (`station.tui.view`) is drawn from the
controller's snapshot, so what is shown is what is stored, and a restart after a crash shows the same bound
student, queue and shooting numbers. The rules (no scan no shot, stale presses, held keys) are the controller's.

Keys (also listed on screen):
  scan (fast burst + Enter)   bind the student (queue mode: join the queue); serial scanners too
  digits... Enter / "/" text  a code keyed by hand (the "/" opens the line for codes with letters)
  shoot keys                  station.toml [triggers] shoot_keys: default space and Enter on an empty line;
                              a pedal typing b: shoot_keys = ["b"]; --trigger pedal:DEVICE reads it via evdev
  a accept · o accept with an override reason · r reject (reason prompt, Enter = the verdict's first reason) ·
  x void last take · u rebind last take (scan/type the right student) · s skip · n next in queue ·
  c set college · q quit
  Esc cancels a prompt or the typed line. A held key (auto-repeat) does nothing. Keys pressed while a shot
  was being made are ignored (nobody accepts a verdict they have not seen).
Logs go to WORKSPACE/state/shoot.log while the screen is up; the preview is WORKSPACE/preview/latest.jpg.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from config.i18n import N_, _, bilingual
from station.core.idnumber import mask_code
from station.session.actions import Session
from station.session.camera_source import StationCamera
from station.session.controller import StationController
from station.session.snapshot import Message, Snapshot
from station.session.triggers import (Accept, CardSwipe, Event, Key, Next, Pedal, ReaderStatus, Rebind, Reject,
                                      Scan, SetCollege, Skip, TriggerSpec, Void)
from station.store.workspace import Store
from station.tui.keys import KeyClassifier, KeyEvent, TerminalKeys
from station.tui.view import COMMAND_KEYS, TerminalState, render

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2           # camera-button frames and desk check-ins are looked for this often
PEDAL = Pedal()              # what the pedal thread puts into the key queue (a typed event; `at` comes beside it)


class SerialLine:
    """What the serial scanner thread puts into the key queue: `SERIAL + text` is that line's Scan event."""

    def __add__(self, text: str) -> Scan:
        return Scan(text, via="serial")


SERIAL = SerialLine()
Item = str | Event           # a terminal character, or an event a device thread made


@dataclass
class Prompt:
    """An open question on the bottom line; `answer(text)` gets "" when the operator just presses Enter and
    returns the command to submit (None: nothing to do)."""
    label: str
    answer: Callable[[str], Event | None]
    takes_scans: bool = False      # a scan answers it (rebind: scan the right student's card)


class ShootApp:
    """Keys in, typed events to the controller, screen redrawn from its snapshot. `run_shoot` wires the terminal."""

    def __init__(self, session: Session, camera: StationCamera | None, *, trigger: str | TriggerSpec,
                 queue_mode: bool, console: Any, controller: StationController | None = None) -> None:
        self.session = session
        self.camera = camera
        self.console = console
        self.controller = controller or StationController(session, camera, trigger=trigger, queue_mode=queue_mode)
        self.controller.on_progress = self.redraw
        session.defer_after = True          # the photo and face check after the verdict is on the screen (settle)
        session.render_later = True
        if self.controller.hub_status is None and session.store.settings.hub.url:   # joined: the hub's line
            from station.hub.replicator import screen_status
            self.controller.hub_status = lambda: screen_status(session.store.workspace)
        self.keys = KeyClassifier(gap=session.store.settings.triggers.scan_gap_ms / 1000.0)
        self.prompt: Prompt | None = None
        self.note: Message | None = None
        self.shown: Snapshot | None = None      # what the screen last drew (decisions are about it)
        self.quit = False
        self._actions: dict[str, Callable[[float], None]] = {
            "accept": self._accept, "override": self._override, "reject": self._reject, "void": self._void,
            "rebind": self._rebind, "skip": lambda at: self.submit(Skip(at=at)),
            "next": lambda at: self.submit(Next(at=at)), "college": self._college, "help": self._help,
            "unpaid": self._unpaid,
            "quit": self._quit,
        }

    @property
    def trigger(self) -> str:
        return self.controller.trigger

    @trigger.setter
    def trigger(self, value: str) -> None:
        self.controller.trigger = value

    def submit(self, event: Event) -> None:
        self.controller.handle(event)
        self.shown = self.snapshot()        # what the loop draws next: the operator sees their own event's effect

    def snapshot(self) -> Snapshot:
        return self.controller.snapshot()

    def poll_camera(self) -> bool:
        """Between keys: camera frames, desk check-ins, camera health (the controller's tick)."""
        return self.controller.tick()

    # ------------------------------------------------------------------ input -> events
    def handle(self, event: KeyEvent | Event) -> None:
        """One classified key event (or a device thread's typed event): the prompt, or a command."""
        self.note = None
        if not isinstance(event, KeyEvent):
            self._device(event)
            return
        prompt = self.prompt
        if event.kind in ("scan", "line"):
            if prompt is not None and (event.kind == "line" or prompt.takes_scans):
                self._answer(event.text)
                return
            if prompt is not None:
                self._close_prompt()
                self._say("warn", N_("prompt cancelled by a scan"))
            self.submit(Scan(event.text, event.at, via="keyboard" if event.kind == "scan" else "typed"))
            return
        name = event.text
        if name == "edit":
            return
        if name == "escape":
            if prompt is not None:
                self._close_prompt()
                self._say("warn", N_("cancelled"))
            return
        if prompt is not None:
            if name == "enter":
                self._answer("")
            return
        if name.startswith("repeat:"):
            self.submit(Key(name[7:], event.at, repeat=True))
            return
        action = COMMAND_KEYS.get(name)
        if action is None or name in self.controller.shoot_keys:
            self.submit(Key(name, event.at))      # a shoot key, or one that does nothing: the controller says
            return
        self._actions[action](event.at)

    def _device(self, event: Event) -> None:
        """A pedal press, a serial scan, an ID-card swipe or the reader's news: a scan or a swipe while a
        prompt that takes scans is open answers it (a card answers with its ID number)."""
        if isinstance(event, (Scan, CardSwipe)) and self.prompt is not None:
            if self.prompt.takes_scans:
                self._answer(event.text if isinstance(event, Scan) else event.card.id_number)
                return
            self._close_prompt()
            self._say("warn", N_("prompt cancelled by a scan"))
        self.submit(event)

    def _say(self, level: str, text: str, /, **fields: Any) -> None:
        """The terminal's own remark on the bottom line (until the next key): cancelled, help..."""
        self.note = Message.of(level, text, **fields)

    def _answer(self, text: str) -> None:
        prompt = self.prompt
        self._close_prompt()
        if prompt is not None:
            command = prompt.answer(text)
            if command is not None:
                self.submit(command)

    def _ask(self, at: float, label: str, answer: Callable[[str], Event | None], *, takes_scans: bool = False,
             stale: Event) -> None:
        """Open a prompt, unless the key was pressed while a shot was being made: then `stale` goes to the
        controller, which drops it and says so (the rule lives there)."""
        if self.controller.stale(at):
            self.submit(stale)
            return
        self.prompt = Prompt(label, answer, takes_scans)
        self.keys.line_mode = True
        self.keys.clear_line()

    def _close_prompt(self) -> None:
        self.prompt = None
        self.keys.line_mode = False
        self.keys.clear_line()

    # ------------------------------------------------------------------ the operator's keys
    def _accept(self, at: float) -> None:
        take_id, _reason = self._pending()
        self.submit(Accept(take_id, at=at, shown=True))

    def _shown(self) -> Snapshot:
        """The snapshot the screen last drew: a decision is about what the operator saw, not what the journal
        holds by the time the key is read (another terminal may have shot since)."""
        return self.shown if self.shown is not None else self.snapshot()

    def _pending(self) -> tuple[int | None, str]:
        bound = self._shown().bound
        if bound is None or bound.pending_take is None:
            return None, ""
        return bound.pending_take, bound.pending_reason or ""

    def _override(self, at: float) -> None:
        take_id, _reason = self._pending()
        if take_id is None:
            self.submit(Accept(None, at=at, shown=True))       # the controller says why there is nothing
            return

        def answer(text: str) -> Event | None:
            if not text.strip():
                self._say("warn", N_("override cancelled: no reason given"))
                return None
            return Accept(take_id, override=text.strip(), at=at, shown=True)
        self._ask(at, bilingual("ACCEPT take {take} despite its verdict — override reason (Esc cancels): ", take=take_id),
                  answer, stale=Accept(take_id, at=at, shown=True))

    def _reject(self, at: float) -> None:
        take_id, default = self._pending()
        if take_id is None:
            self.submit(Reject(None, at=at, shown=True))       # the controller says why there is nothing
            return
        self._ask(at, bilingual("reject take {take} — reason (Enter = {default}; Esc cancels): ", take=take_id, default=default),
                  lambda text: Reject(take_id, text.strip(), at=at, shown=True),
                  stale=Reject(take_id, at=at, shown=True))

    def _last_take(self) -> int | None:
        last = self._shown().last_take
        return last.take_id if last is not None else None

    def _void(self, at: float) -> None:
        take_id = self._last_take()
        if take_id is None:
            self._say("warn", N_("no take to void"))
            return
        self._ask(at, bilingual("VOID take {take} — reason (Enter = voided at the station; Esc cancels): ", take=take_id),
                  lambda text: Void(take_id, text.strip(), at=at, shown=True),
                  stale=Void(take_id, at=at, shown=True))

    def _rebind(self, at: float) -> None:
        take_id = self._last_take()
        if take_id is None:
            self._say("warn", N_("no take to rebind"))
            return

        def answer(text: str) -> Event | None:
            if not text.strip():
                self._say("warn", N_("rebind cancelled: no code given"))
                return None
            return Rebind(take_id, text.strip(), at=at, shown=True)
        self._ask(at, bilingual("REBIND take {take} to: scan or type the right student's code (Esc cancels): ", take=take_id),
                  answer, takes_scans=True, stale=Rebind(take_id, at=at, shown=True))

    def _unpaid(self, at: float) -> None:
        """Bind the student just refused as unpaid (station.toml blocks them) anyway, with the operator's reason."""
        blocked = self.controller.unpaid_blocked
        if blocked is None:
            self._say("warn", N_("nobody was refused as unpaid: nothing to let through"))
            return
        event, subject = blocked

        def answer(text: str) -> Event | None:
            if not text.strip():
                self._say("warn", N_("override cancelled: no reason given"))
                return None
            return replace(event, unpaid_override=text.strip(), at=at)
        self._ask(at, bilingual("NOT PAID: {who} — reason to bind anyway (Esc cancels): ",
                                who=f"{mask_code(subject.code)} {subject.name or ''}".strip()),
                  answer, stale=replace(event, at=at))

    def _college(self, at: float) -> None:
        self._ask(at, bilingual("current college (Esc cancels): "),
                  lambda text: SetCollege(text.strip(), at=at) if text.strip() else None,
                  stale=SetCollege("", at=at))

    def _help(self, at: float) -> None:
        self._say("info", N_("scan a card (or type a number + Enter) to bind; shoot; then a/o/r/x/u/s"))

    def _quit(self, at: float) -> None:
        self.quit = True

    def settle(self) -> bool:
        """The last shot's work after its verdict (face check, validation), once the screen shows the verdict;
        True when the screen should be drawn again (the take's face warnings)."""
        return self.controller.settle()

    # ------------------------------------------------------------------ screen
    def redraw(self) -> None:
        try:
            size = self.console.size
            term = TerminalState(self.controller.shoot_keys, self.trigger, self.keys.line,
                                 self.prompt.label if self.prompt else None, self.note,
                                 height=size.height, width=size.width)
            snap = self.snapshot()
            screen = render(snap, term)
            self.shown = snap
        except Exception as exc:  # noqa: BLE001 - a drawing bug must not end the session
            log.exception("drawing the screen failed")
            from rich.text import Text
            screen = Text(f"(screen error: {exc}; the station still works — see state/shoot.log)", style="red")
        with self.console.capture() as captured:
            self.console.print(screen, end="")
        # no newline after the last row: a full 24-row screen must not scroll its header away
        self.console.file.write("\x1b[H\x1b[2J" + captured.get().rstrip("\n"))
        self.console.file.flush()


def run_shoot(workspace: Path, *, camera_spec: str, trigger: str | TriggerSpec, queue_mode: bool,
              operator: str | None, fd: int | None = None, reader: str | None = None) -> int:
    """Run the loop until `q`; the terminal is restored on every exit path. Returns the exit status.
    The station is opened by `Station.open` (workspace lock, reconcile, leftovers, camera, greeting)."""
    from rich.console import Console
    from station.session.station import Station

    try:
        fd = sys.stdin.fileno() if fd is None else fd
    except (OSError, ValueError):          # stdin replaced by something without a descriptor
        fd = -1
    if fd < 0 or not os.isatty(fd):
        from station.core.errors import SessionError
        raise SessionError(_("station shoot needs a terminal (it is a full-screen program)"),
                           hint=_("in scripts use the one-shot commands: station capture / accept / reject"))
    console = Console(highlight=False)
    station = Station.open(workspace, camera_spec, trigger, kind="shoot", operator=operator, queue_mode=queue_mode,
                           reader=reader)
    app = ShootApp(station.session, station.camera, trigger=station.trigger, queue_mode=queue_mode,
                   console=console, controller=station.controller)
    log_handler = _log_to_file(station.store)
    previous_sigint = _quit_on_sigint(app)
    sys.stdout.write("\x1b[?1049h\x1b[?25l")     # alternate screen, cursor hidden
    try:
        with TerminalKeys(fd) as keys:
            station.start_readers(lambda event, at: keys.queue.put((event, at)))
            try:
                _loop(app, keys)
            except KeyboardInterrupt:
                log.info("Ctrl-C: leaving the shoot loop (everything is in the journal)")
    finally:
        app.settle()                     # never raises: the last shot's face check before the journal closes
        station.close()
        sys.stdout.write("\x1b[?25h\x1b[?1049l")
        sys.stdout.flush()
        _restore_logging(log_handler)
        if previous_sigint is not None:
            signal.signal(signal.SIGINT, previous_sigint)
    return 0


def _quit_on_sigint(app: ShootApp) -> Any:
    """Ctrl-C asks the loop to quit at its next turn (within POLL_SECONDS, never halfway through storing a
    shot) instead of raising wherever the main thread happens to be; a second Ctrl-C still interrupts.
    Returns the previous handler (None when not on the main thread, where handlers cannot be set)."""
    import threading
    if threading.current_thread() is not threading.main_thread():
        return None

    def on_sigint(signum: int, frame: Any) -> None:
        if app.quit:
            raise KeyboardInterrupt
        app.quit = True
    return signal.signal(signal.SIGINT, on_sigint)


def _log_to_file(store: Store) -> tuple[logging.Handler, list[logging.Handler], int]:
    """Log lines on stderr would tear the full-screen display: send them to state/shoot.log meanwhile."""
    from station.store.durable import make_private_dirs
    make_private_dirs(store.workspace / "state")
    handler = logging.FileHandler(store.workspace / "state" / "shoot.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    root.handlers = [handler]
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    return handler, saved, level


def _restore_logging(state: tuple[logging.Handler, list[logging.Handler], int]) -> None:
    handler, saved, level = state
    root = logging.getLogger()
    root.handlers = saved
    root.setLevel(level)
    handler.close()


def to_events(app: ShootApp, item: Item, at: float) -> list[KeyEvent | Event]:
    """One queue item -> events: a terminal character goes through the key classifier; a device thread's
    event (pedal press, serial scan) is stamped with the time it was read."""
    if isinstance(item, (Pedal, Scan, CardSwipe, ReaderStatus)):
        return [replace(item, at=at)]
    return list(app.keys.feed(item, at))


def _loop(app: ShootApp, keys: TerminalKeys) -> None:
    next_poll = 0.0
    app.redraw()
    while not app.quit:
        now = time.monotonic()
        deadline = app.keys.deadline()
        wait = max(0.0, min(next_poll - now, (deadline - now) if deadline else POLL_SECONDS))
        item = keys.get(wait)
        if item is None:             # the terminal went away
            return
        events: list[KeyEvent | Event] = []
        if item:
            thing, at = item
            events += to_events(app, thing, at)
        events += app.keys.tick(time.monotonic())
        for event in events:
            app.handle(event)
        changed = bool(events)
        if time.monotonic() >= next_poll:
            changed = app.poll_camera() or changed
            next_poll = time.monotonic() + POLL_SECONDS
        if changed:
            app.redraw()
            if app.settle():             # a shot's face check, after its verdict is on the screen
                app.redraw()
