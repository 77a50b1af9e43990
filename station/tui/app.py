"""`station shoot`: the full-screen loop the photographer and the operator use all day.

Input comes timestamped from the raw terminal (`station.tui.keys`): fast bursts ending in Enter are scans, slow
single keys are commands, a pedal is either a key (it types `b`) or an evdev device. Every action goes through
`station.session.actions.Session`; the screen is redrawn from the journal after each event, so what is shown is what
is stored, and a restart after a crash shows the same bound student, queue and shooting numbers.

Keys (also listed on screen):
  scan (fast burst + Enter)   bind the student (queue mode: join the queue); serial scanners too
  digits... Enter / "/" text  a code keyed by hand (the "/" opens the line for codes with letters)
  shoot keys                  station.toml [triggers] shoot_keys: default space and Enter on an empty line;
                              a pedal typing b: shoot_keys = ["b"]; --trigger pedal:DEVICE reads it via evdev
  a accept · r reject (reason prompt, Enter = the verdict's first reason) · x void last take ·
  u rebind last take (scan/type the right student) · s skip · n next in queue · c set college · q quit
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
from dataclasses import dataclass, field
from typing import Any, Callable

from config.errors import DomainError
from station.tui.keys import KeyClassifier, KeyEvent, TerminalKeys
from station.session.actions import Session, ShotOutcome
from station.store.workspace import Store

log = logging.getLogger(__name__)

PEDAL = "\x00pedal"          # what the pedal thread puts into the key queue
SERIAL = "\x00scan:"         # prefix of a serial scanner's line in the key queue
POLL_SECONDS = 0.2           # camera-button frames are collected this often
COMMAND_KEYS = {
    "a": "accept", "r": "reject", "x": "void", "u": "rebind", "s": "skip", "n": "next", "c": "college",
    "q": "quit", "ctrl-c": "quit", "ctrl-d": "quit", "?": "help",
}
KEY_HELP = [("a", "accept 合格"), ("r", "reject+reshoot 重拍"), ("x", "void last 作废"),
            ("u", "rebind last 改绑"), ("s", "skip 跳过"), ("n", "next in queue 下一位"),
            ("c", "college 学院"), ("q", "quit 退出")]


@dataclass
class Prompt:
    """An open question on the bottom line; `answer(text)` gets "" when the operator just presses Enter."""
    label: str
    answer: Callable[[str], None]
    takes_scans: bool = False      # a scan answers it (rebind: scan the right student's card)


@dataclass
class View:
    """Transient screen state; everything durable is re-read from the journal at each redraw."""
    messages: list[tuple[str, str]] = field(default_factory=list)   # (style, text), newest last
    last: ShotOutcome | None = None
    prompt: Prompt | None = None
    quit: bool = False
    version: int = 0               # bumped by every message: the loop redraws when it changes

    def say(self, style: str, text: str) -> None:
        self.messages.append((style, text))
        del self.messages[:-6]
        self.version += 1


def _shoot_key_label(name: str) -> str:
    return {"space": "SPACE", "enter": "Enter (empty line)"}.get(name, name)


class ShootApp:
    """Events in, Session calls out, screen redrawn. No terminal code here: `run_shoot` wires it up."""

    def __init__(self, session: Session, camera: Any, *, trigger: str, queue_mode: bool, console: Any) -> None:
        self.session = session
        self.camera = camera
        self.trigger = trigger
        self.queue_mode = queue_mode
        self.console = console
        settings = session.store.settings
        self.shoot_keys = tuple(settings.triggers.shoot_keys)
        self.keys = KeyClassifier(gap=settings.triggers.scan_gap_ms / 1000.0)
        self.view = View()
        self.busy_until = 0.0      # shoot presses that arrived while a shot was being made are dropped
        self._seen_event = 0

    def journal_changed(self) -> bool:
        """True when anything (this loop, or `station checkin --queue` at the desk) wrote to the journal."""
        latest = self.session.store.latest_event_id()
        changed, self._seen_event = latest != self._seen_event, latest
        return changed

    # ------------------------------------------------------------------ events
    def handle(self, event: KeyEvent) -> None:
        try:
            self._handle(event)
        except DomainError as exc:
            hint = f" — {exc.hint}" if getattr(exc, "hint", None) else ""
            self.view.say("bold red", f"{exc}{hint}")
        except Exception as exc:  # noqa: BLE001 - the station must stay up; the journal holds the truth
            log.exception("unexpected error handling %s", event.kind)
            self.view.say("bold red", f"unexpected error: {exc}")

    def _handle(self, event: KeyEvent) -> None:
        prompt = self.view.prompt
        if event.kind in ("scan", "line"):
            if prompt is not None and (event.kind == "line" or prompt.takes_scans):
                self._answer(event.text)
                return
            if prompt is not None:
                self._close_prompt()
                self.view.say("yellow", "prompt cancelled by a scan")
            self.scan(event.text)
            return
        if event.kind == "pedal":
            self.shoot(event.at)
            return
        name = event.text
        if name == "edit":
            return
        if name == "escape":
            if prompt is not None:
                self._close_prompt()
                self.view.say("yellow", "cancelled")
            return
        if prompt is not None:
            if name == "enter":
                self._answer("")
            return
        if name.startswith("repeat:"):
            self.view.say("yellow", f"held key {name[7:]!r} ignored (press it once)")
            return
        if name in self.shoot_keys:
            self.shoot(event.at)
            return
        action = COMMAND_KEYS.get(name)
        if action is None:
            self.view.say("dim", f"key {name!r} does nothing (keys are listed below)")
            return
        if action != "quit" and event.at and event.at < self.busy_until:
            # pressed before the verdict was on screen: nobody may accept a photo they have not seen
            self.view.say("yellow", f"key {name!r} pressed while the shot was being made: ignored, press it again")
            return
        getattr(self, "do_" + action)()

    def _answer(self, text: str) -> None:
        prompt = self.view.prompt
        self._close_prompt()
        if prompt is not None:
            prompt.answer(text)

    def _open_prompt(self, prompt: Prompt) -> None:
        self.view.prompt = prompt
        self.keys.line_mode = True
        self.keys.clear_line()

    def _close_prompt(self) -> None:
        self.view.prompt = None
        self.keys.line_mode = False
        self.keys.clear_line()

    # ------------------------------------------------------------------ actions
    def scan(self, text: str) -> None:
        outcome = self.session.scan(text, queue=self.queue_mode)
        who = f"No. {outcome.shoot_no} {outcome.subject.name or ''} {outcome.subject.code}".replace("  ", " ")
        if outcome.repeated and outcome.bound:
            self.view.say("cyan", f"{who}: already bound (same shooting number)")
        elif outcome.bound:
            self.view.say("bold green", f"bound {who}: shoot when ready")
        else:
            self.view.say("cyan", f"queued {who} ({len(self.session.queue())} waiting; n = next)")
        for warning in outcome.warnings:
            self.view.say("bold yellow", "WARNING: " + warning)

    def shoot(self, at: float) -> None:
        if self.trigger == "camera":
            self.view.say("yellow", "trigger is the camera's own button: press the shutter on the camera")
            return
        if at and at < self.busy_until:
            self.view.say("yellow", "shoot pressed while the last shot was being made: ignored")
            return
        if not getattr(self.camera, "has_trigger", True):
            self.view.say("yellow", "hot folder: shoot with the tethering program; its files arrive here")
            return
        bound = self.session.bound()
        if bound is None:
            waiting = self.session.queue()
            hint = f" — press n for the next in the queue ({len(waiting)} waiting)" if waiting else " — scan first"
            self.view.say("bold red", "NO SCAN, NO SHOT: nobody is bound; nothing was shot" + hint)
            return
        self.view.say("cyan", f"shooting for {bound.code}…")
        self.redraw()
        try:
            outcome = self.session.shoot()
        except DomainError as exc:
            self.view.say("bold red", f"camera: {exc} — still bound: {bound.code}; press again to retry")
            if getattr(exc, "hint", None):
                self.view.say("red", f"  what to do: {exc.hint}")
            return
        finally:
            self.busy_until = time.monotonic()
        self._shown(outcome)

    def _shown(self, outcome: ShotOutcome) -> None:
        self.view.last = outcome
        if outcome.subject is None:
            self.view.say("bold red", f"UNBOUND take {outcome.take.id} from the camera (nobody bound): "
                                      "u = rebind it to a student, x = void it")
        else:
            verdict = "PASS 合格" if outcome.ok else "FAIL 不合格"
            self.view.say("bold green" if outcome.ok else "bold red",
                          f"take {outcome.take.id}: {verdict} — a = accept, r = reject and shoot again")

    def poll_camera(self) -> None:
        try:
            outcomes = self.session.poll(0.0)
        except DomainError as exc:
            self.view.say("bold red", f"camera: {exc}")
            return
        for outcome in outcomes:
            self._shown(outcome)

    def do_accept(self) -> None:
        take = self.session.accept(None)
        subject = self.session.store.subject(take.subject_id) if take.subject_id else None
        msg = f"take {take.id} ACCEPTED for {subject.code if subject else '-'}; binding closed — scan the next student"
        waiting = self.session.queue()
        if waiting:
            msg += f" or press n ({waiting[0].code} is next)"
        self.view.say("bold green", msg)

    def do_reject(self) -> None:
        take = self.session.default_take("reject")
        default = _default_reason(take.verdict)

        def answer(text: str) -> None:
            self.session.reject(take.id, reason=text.strip() or default)
            self.view.say("bold yellow", f"take {take.id} rejected ({text.strip() or default}): shoot again")
        self._open_prompt(Prompt(f"reject take {take.id} — reason (Enter = {default}; Esc cancels): ", answer))

    def do_void(self) -> None:
        take = self.session.last_take()
        if take is None:
            self.view.say("yellow", "no take to void")
            return

        def answer(text: str) -> None:
            self.session.void(take.id, reason=text.strip() or "voided at the station")
            self.view.say("bold yellow", f"take {take.id} void")
        self._open_prompt(Prompt(f"VOID take {take.id} — reason (Enter = voided at the station; Esc cancels): ",
                                 answer))

    def do_rebind(self) -> None:
        take = self.session.last_take()
        if take is None:
            self.view.say("yellow", "no take to rebind")
            return

        def answer(text: str) -> None:
            if not text.strip():
                self.view.say("yellow", "rebind cancelled: no code given")
                return
            moved, subject = self.session.rebind(take.id, text.strip(), reason="wrong person (rebound at station)")
            self.view.say("bold yellow", f"take {moved.id} now belongs to {subject.code} {subject.name or ''}")
        self._open_prompt(Prompt(f"REBIND take {take.id} to: scan or type the right student's code (Esc cancels): ",
                                 answer, takes_scans=True))

    def do_skip(self) -> None:
        subject = self.session.skip("skipped at the station")
        self.view.say("yellow", f"skipped {subject.code}: stays on the review list")

    def do_next(self) -> None:
        subject = self.session.next()
        if subject is None:
            self.view.say("yellow", "the queue is empty")
            return
        self.view.say("bold green", f"next: No. {self.session.shoot_no(subject)} {subject.name or ''} {subject.code}")

    def do_college(self) -> None:
        def answer(text: str) -> None:
            if text.strip():
                from station.session.college import set_college
                set_college(self.session.store, text.strip(), operator=self.session.operator)
                self.view.say("cyan", f"current college: {text.strip()}")
        self._open_prompt(Prompt("current college (Esc cancels): ", answer))

    def do_help(self) -> None:
        self.view.say("cyan", "scan a card (or type a number + Enter) to bind; shoot; then a/r/x/u/s")

    def do_quit(self) -> None:
        self.view.quit = True

    # ------------------------------------------------------------------ screen
    def redraw(self) -> None:
        try:
            screen = render(self)
        except Exception as exc:  # noqa: BLE001 - a drawing bug must not end the session
            log.exception("drawing the screen failed")
            from rich.text import Text
            screen = Text(f"(screen error: {exc}; the station still works — see state/shoot.log)", style="red")
        self.console.file.write("\x1b[H\x1b[2J")
        self.console.print(screen, end="")
        self.console.file.flush()


def render(app: ShootApp) -> Any:
    """The whole screen, from the journal (bound student, queue, last take) plus the transient messages."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    session, store = app.session, app.session.store
    college = session.college()
    camera = app.camera
    cam = Text("camera: ")
    if camera.error:
        cam.append(camera.error, style="bold white on red")
    else:
        cam.append(f"{camera.spec} ok", style="green")
    header = Text.assemble((" CAPTURE STATION 采集站 ", "bold white on blue"),
                           f"  station {store.station_id}",
                           f"  room {store.settings.station.room or '-'}",
                           "  college ", (college or "(not set: c)", "bold" if college else "yellow"),
                           f"  operator {session.operator or store.settings.station.operator or '-'}",
                           "  " + ("QUEUE MODE" if app.queue_mode else ""))
    parts: list[Any] = [header, cam]
    for warning in camera.warnings()[-2:]:
        parts.append(Text("camera warning: " + warning, style="yellow"))

    bound = session.bound()
    if bound is None:
        parts.append(Panel(Text("NOBODY BOUND — scan a student card / 请扫码", style="bold yellow", justify="center"),
                           title="student 学生", border_style="yellow"))
    else:
        takes = [t for t in session.takes_of(bound) if t.decision != "void"]
        rejected = sum(1 for t in takes if t.decision == "reject")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim")
        grid.add_column()
        grid.add_row("name 姓名", Text(bound.name or "-", style="bold white"))
        grid.add_row("student no 学号", bound.student_no or "-")
        grid.add_row("ID 身份证", bound.masked_id or "-")
        grid.add_row("college 学院", bound.college or college or "-")
        grid.add_row("class 班级", bound.class_name or "-")
        grid.add_row("takes 已拍", f"{len(takes)}" + (f" ({rejected} rejected)" if rejected else ""))
        number = session.shoot_no(bound)
        title = Text.assemble(("  No. ", "bold"), (f"{number or '-'}", "bold white on green"),
                              ("   ", ""), (bound.name or bound.code, "bold"), ("   ", ""), (bound.code, "bold cyan"))
        side = Table.grid(padding=(0, 3))
        side.add_column()
        side.add_column()
        side.add_row(Text("\n".join(big_digits(str(number or "-"))), style="bold green"), grid)
        body: list[Any] = [title, side]
        if bound.paid is False:
            body.append(Text("  NOT PAID 未缴费 — check before shooting  ", style="bold white on red"))
        parts.append(Panel(Group(*body), title="BOUND 当前学生", border_style="green"))

    last = store.last_take()
    if last is not None:
        parts.append(_take_panel(store, last, app.view.last))
    queue = session.queue()
    if queue or app.queue_mode:
        names = ", ".join(f"{session.shoot_no(s)}:{s.name or s.code}" for s in queue[:8])
        parts.append(Text(f"queue 排队 ({len(queue)}): {names}{' …' if len(queue) > 8 else ''}", style="cyan"))
    unbound = store.unbound_takes()
    if unbound:
        parts.append(Text(f"UNBOUND takes to rebind or void: {', '.join(str(t.id) for t in unbound[-6:])}",
                          style="bold red"))
    for style, text in app.view.messages:
        parts.append(Text(text, style=style))
    shoot = " / ".join(_shoot_key_label(k) for k in app.shoot_keys)
    if app.trigger == "camera":
        shoot = "camera button"
    elif app.trigger.startswith("pedal:"):
        shoot += " / pedal"
    keys = Text.assemble(("shoot 拍摄: ", "bold"), (shoot, "bold green"), "   ",
                         *[x for k, label in KEY_HELP for x in ((k, "bold cyan"), (f" {label}  ", ""))])
    parts.append(keys)
    parts.append(Text("scan = bind (fast scanner burst); digits + Enter = typed code; / = type a code with letters",
                      style="dim"))
    if app.view.prompt is not None:
        parts.append(Text.assemble((app.view.prompt.label, "bold yellow"), app.keys.line, ("█", "blink")))
    elif app.keys.line:
        parts.append(Text.assemble(("code> ", "bold"), app.keys.line, ("█", "blink")))
    return Group(*parts)


_FONT = {
    "0": ("███", "█ █", "█ █", "█ █", "███"), "1": (" █ ", "██ ", " █ ", " █ ", "███"),
    "2": ("███", "  █", "███", "█  ", "███"), "3": ("███", "  █", "███", "  █", "███"),
    "4": ("█ █", "█ █", "███", "  █", "  █"), "5": ("███", "█  ", "███", "  █", "███"),
    "6": ("███", "█  ", "███", "█ █", "███"), "7": ("███", "  █", "  █", "  █", "  █"),
    "8": ("███", "█ █", "███", "█ █", "███"), "9": ("███", "█ █", "███", "  █", "███"),
    "-": ("   ", "   ", "███", "   ", "   "),
}


def big_digits(text: str) -> list[str]:
    """The shooting number five lines tall: readable from the camera position."""
    rows = ["", "", "", "", ""]
    for char in text:
        glyph = _FONT.get(char, _FONT["-"])
        for i in range(5):
            rows[i] += glyph[i].replace("█", "██").replace(" ", "  ") + "  "
    return rows


def _take_panel(store: Store, take: Any, shown: ShotOutcome | None) -> Any:
    from rich.panel import Panel
    from rich.text import Text
    verdict = take.verdict or {}
    subject = store.subject(take.subject_id) if take.subject_id else None
    ok = verdict.get("ok")
    head = Text.assemble((f"take {take.id} ", "bold"),
                         ("PASS 合格" if ok else "FAIL 不合格", "bold white on green" if ok else "bold white on red"),
                         f"  for {subject.code if subject else 'UNBOUND'}",
                         f"  decision: {take.decision or 'pending'}", f"  ({take.source})")
    lines: list[Any] = [head]
    for r in verdict.get("reasons") or []:
        lines.append(Text(f"  ✗ {r.get('zh', '')}  {r.get('en', '')}", style="red"))
    for w in verdict.get("warnings") or []:
        lines.append(Text(f"  ! {w.get('zh', '')}  {w.get('en', '')}", style="yellow"))
    measures = verdict.get("measures") or {}
    keys = ("crown_y", "eye_y", "face_width", "roll_deg", "yaw_ratio", "eye_open", "sharpness", "file_kb")
    shown_m = [f"{k} {measures[k]:.3g}" if isinstance(measures.get(k), (int, float)) else f"{k} {measures[k]}"
               for k in keys if k in measures]
    if shown_m:
        lines.append(Text("  " + "  ".join(shown_m), style="dim"))
    if shown is not None and shown.take.id == take.id:
        t = shown.timings
        if t:
            lines.append(Text(f"  press→verdict {t.get('total', 0):.2f} s (camera {t.get('capture', 0):.2f},"
                              f" pipeline {t.get('pipeline', 0):.2f})", style="dim"))
        if shown.preview:
            lines.append(Text(f"  preview: {shown.preview}", style="dim"))
    from rich.console import Group
    return Panel(Group(*lines), title="last take 最近一张", border_style="green" if ok else "red")


def _default_reason(verdict: dict[str, Any] | None) -> str:
    reasons = (verdict or {}).get("reasons") or []
    if reasons:
        first = reasons[0]
        return str(first.get("zh") or first.get("en") or first.get("code"))
    return "operator rejected 操作员判定重拍"


def run_shoot(store: Store, *, camera_spec: str, trigger: str, queue_mode: bool, operator: str | None,
              fd: int | None = None) -> int:
    """Run the loop until `q`; the terminal is restored on every exit path. Returns the exit status."""
    from rich.console import Console
    from station.session.camera_source import CameraHandle

    try:
        fd = sys.stdin.fileno() if fd is None else fd
    except (OSError, ValueError):          # stdin replaced by something without a descriptor
        fd = -1
    if fd < 0 or not os.isatty(fd):
        from station.core.errors import SessionError
        raise SessionError("station shoot needs a terminal", hint="use station capture / accept in scripts")
    console = Console(highlight=False)
    camera = CameraHandle(camera_spec, store.settings, store.workspace)
    session = Session(store, operator=operator, camera=camera, queue_mode=queue_mode)
    app = ShootApp(session, camera, trigger=trigger, queue_mode=queue_mode, console=console)
    recon = store.reconcile()
    for rel in recon.orphans:
        app.view.say("yellow", f"orphan original found (kept, not journalled): {rel}")
    bound = session.bound()
    app.view.say("cyan", "station ready" + (f" — resumed: {bound.code} is bound" if bound else ""))
    if not camera.open():
        app.view.say("bold red", f"camera: {camera.error} (retrying)")
    pedal = serial = None
    log_handler = _log_to_file(store)
    previous_sigint = _quit_on_sigint(app)
    sys.stdout.write("\x1b[?1049h\x1b[?25l")     # alternate screen, cursor hidden
    try:
        with TerminalKeys(fd) as keys:
            if trigger.startswith("pedal:"):
                pedal = _start_pedal(trigger.partition(":")[2], store, keys)
            if store.settings.triggers.serial_port:
                serial = _start_serial(store.settings.triggers.serial_port, app, keys)
            try:
                _loop(app, keys, camera, store.settings.camera.liveness_seconds)
            except KeyboardInterrupt:
                log.info("Ctrl-C: leaving the shoot loop (everything is in the journal)")
    finally:
        if pedal is not None:
            pedal.stop()
        if serial is not None:
            serial.stop()
        camera.close()
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
        if app.view.quit:
            raise KeyboardInterrupt
        app.view.quit = True
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


def _start_pedal(device: str, store: Store, keys: TerminalKeys) -> Any:
    from camera.pedal import PedalReader
    return PedalReader(device, lambda: keys.queue.put((PEDAL, time.monotonic())),
                       keys=(store.settings.triggers.pedal_key,)).start()


def _start_serial(port: str, app: ShootApp, keys: TerminalKeys) -> Any:
    from station.tui.keys import SerialScanner
    try:
        return SerialScanner(port, lambda text, at: keys.queue.put((SERIAL + text, at))).start()
    except OSError as exc:
        app.view.say("bold red", f"serial scanner {port}: {exc.strerror or exc} (the keyboard still works)")
        return None


def to_events(app: ShootApp, char: str, at: float) -> list[KeyEvent]:
    """One queue item (a terminal character, a pedal press, a serial scanner line) -> events."""
    if char == PEDAL:
        return [KeyEvent("pedal", "", at)]
    if char.startswith(SERIAL):
        return [KeyEvent("scan", char[len(SERIAL):], at)]
    return app.keys.feed(char, at)


def _loop(app: ShootApp, keys: TerminalKeys, camera: Any, liveness: float) -> None:
    next_poll = next_health = 0.0
    app.redraw()
    while not app.view.quit:
        now = time.monotonic()
        deadline = app.keys.deadline()
        wait = max(0.0, min(next_poll - now, (deadline - now) if deadline else POLL_SECONDS))
        item = keys.get(wait)
        if item is None:             # the terminal went away
            return
        events: list[KeyEvent] = []
        if item:
            char, at = item
            events += to_events(app, char, at)
        events += app.keys.tick(time.monotonic())
        for event in events:
            app.handle(event)
        changed = bool(events)
        now = time.monotonic()
        if now >= next_poll:
            before = app.view.version
            app.poll_camera()
            next_poll = time.monotonic() + POLL_SECONDS
            changed = changed or before != app.view.version
            changed = app.journal_changed() or changed
        if now >= next_health:
            before_err = camera.error
            camera.health()
            next_health = time.monotonic() + liveness
            changed = changed or before_err != camera.error
        if changed:
            app.redraw()
