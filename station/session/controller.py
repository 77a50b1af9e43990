"""The ONE station controller: typed events in, journal actions out, a snapshot of what a screen shows.

Every front end drives this class and nothing else: the terminal loop (`station shoot`) and the browser
console are views on its `snapshot()` plus runtimes that turn their inputs (keys, buttons, pedal, scanner,
camera frames) into the typed events of `station.session.triggers`. The rules of the station live here, once:
  - no scan, no shot (a shoot with nobody bound fires nothing);
  - a shoot press or a decision made (`at`) before the last shot ended is ignored: nobody accepts a verdict
    they have not seen, and a press during a shot is no second shot;
  - a held key's auto-repeat never fires a volley;
  - a take that needs an override is accepted only with a reason; a take that cannot be cropped never is.
No terminal code, no rich: messages are typed (level + zh/en text), styling is the view's job. Not thread-safe:
one thread owns a controller (`station.session.runtime.StationRuntime` runs it on its worker).
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any, Callable

from config.errors import DomainError
from config.i18n import N_, _
from pipeline.result import Reason
from station.core.errors import SessionError
from station.core.idnumber import mask_code
from station.session.actions import Session, ShotOutcome
from station.session.camera_source import StationCamera
from station.session.decision_handlers import DecisionHandlers, default_reject_reason
from station.session.desk_handlers import DeskHandlers
from station.session.override import croppable, needs_override, overridden_entries
from station.session.snapshot import (CameraState, Message, Outcome, QueueEntry, ReaderState, ReasonState,
                                      Snapshot, StudentState, TakeState, UnboundTake)
from station.session.triggers import (DECISIONS, TAKE_DECISIONS, Accept, CameraButton, CardSwipe, Event,
                                      HotFolderArrival, Key, Next, Pedal, ReaderStatus, Rebind, Reject, Scan,
                                      SetCollege, Shoot, Skip, TriggerSpec, UnpaidOverride, Void,
                                      WalkIn)
from station.store.models import WALK_IN, Subject, Take

log = logging.getLogger(__name__)

MAX_MESSAGES = 8
HUB_EVERY_S = 2.0       # how often the screens' hub line re-reads the replicator's status


class StationController:
    """The station's state machine over one `Session` (journal) and one camera (may be None: no shots)."""

    def __init__(self, session: Session, camera: StationCamera | None = None, *, trigger: str | TriggerSpec = "key",
                 queue_mode: bool | None = None, now: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.store = session.store
        self.camera = camera
        self.trigger_spec = TriggerSpec.parse(trigger)
        self.queue_mode = session.queue_mode if queue_mode is None else queue_mode
        self.shoot_keys = tuple(self.store.settings.triggers.shoot_keys)
        self._now = now
        self.busy = False
        self.busy_until = 0.0                   # end of the last shot: older presses/decisions are stale
        self.version = 0
        self.messages: list[Message] = []
        self.last_shot: ShotOutcome | None = None
        self._seen_event = self.store.latest_event_id()
        #: called while a shot is being made (busy, "shooting for ...") so screens show it at once; the
        #: runtime sets it to publish a snapshot
        self.on_progress: Callable[[], None] | None = None
        self._next_health = 0.0
        self._warnings_seen = len(camera.warnings()) if camera is not None else 0
        #: the ID-card reader at the chair (set by its first ReaderStatus), for the status line
        self.reader: ReaderState | None = None
        #: the scan / next last refused because the student has not paid (blocked): what `p` overrides
        self.unpaid_blocked: tuple[Scan | Next, Subject] | None = None
        #: the handlers by topic (station.session.topics): the desk's (who is bound) and the decisions on a take
        self.desk = DeskHandlers(self)
        self.decide = DecisionHandlers(self)
        #: the hub's line as (msgid, fields), None when not joined: given by the front end that runs the
        #: replicator (station.hub.replicator.screen_status; the session does not import the hub)
        self.hub_status: Callable[[], tuple[str, dict[str, Any]] | None] | None = None
        self._hub: tuple[float, Message | None] = (float("-inf"), None)     # (read at, the status line)
        self._handlers: dict[type, Callable[[Any], Outcome]] = {
            Key: self._on_key, Pedal: self._on_pedal, Scan: self.desk.on_scan, WalkIn: self.desk.on_walk_in,
            CardSwipe: self.desk.on_card, ReaderStatus: self.desk.on_reader,
            CameraButton: self._on_arrival, HotFolderArrival: self._on_arrival,
            Shoot: self._on_shoot, Accept: self.decide.on_accept, Reject: self.decide.on_reject,
            Void: self.decide.on_void, Rebind: self.decide.on_rebind, Skip: self.desk.on_skip,
            Next: self.desk.on_next, SetCollege: self.desk.on_set_college,
            UnpaidOverride: self.desk.on_unpaid_override,
        }

    @property
    def trigger(self) -> str:
        """The trigger as the screens name it: key | pedal:DEVICE | camera."""
        return str(self.trigger_spec)

    @trigger.setter
    def trigger(self, value: str | TriggerSpec) -> None:
        self.trigger_spec = TriggerSpec.parse(value)

    # ------------------------------------------------------------------ the one entry point
    def handle(self, event: Event) -> Outcome:
        """Apply one event; never raises for station trouble (a refusal is an Outcome, and a message)."""
        handler = self._handlers.get(type(event))
        if handler is None:
            raise TypeError(f"not a station event: {event!r}")
        if isinstance(event, DECISIONS) and self.stale(event.at):
            return self._outcome("ignored", "warn",
                                 N_("decision made while the shot was being made: ignored, do it again"))
        try:
            moved_on = self._moved_on(event)
            outcome = moved_on if moved_on is not None else handler(event)
        except DomainError as exc:
            hint = getattr(exc, "hint", None)
            outcome = Outcome("refused", self.post(Message("error", f"{exc}" + (f" — {hint}" if hint else ""))),
                              hint=hint)
        except Exception as exc:  # noqa: BLE001 - the station must stay up; the journal holds the truth
            log.exception("unexpected error handling %r", type(event).__name__)
            outcome = self._outcome("failed", "error", N_("unexpected error: {error}"), error=str(exc))
        self.tell_notices()
        self.changed()
        return Outcome(outcome.status, outcome.message, outcome.take_id, outcome.subject_id, outcome.hint,
                       self.version, outcome.warnings)

    def run(self, event: Event) -> Outcome:
        """Apply one event by its handler and let a refusal raise (DomainError): the CLI's one-shot commands
        (accept, reject, void, rebind, skip, next) go through here, so they follow the very rules every screen
        does and fail the CLI's one way. A refusal the handler returns (the queue is empty) is raised too."""
        handler = self._handlers.get(type(event))
        if handler is None:
            raise TypeError(f"not a station event: {event!r}")
        outcome = handler(event)
        self.tell_notices()
        self.changed()
        if outcome.status == "refused" and outcome.message is not None:
            from config.i18n import current_language
            text = outcome.message.zh if current_language() == "zh" and outcome.message.zh else outcome.message.en
            raise SessionError(text, hint=outcome.hint)
        return outcome

    def _moved_on(self, event: Event) -> Outcome | None:
        """A decision names the take its screen showed; when the journal has moved on (another take is this
        station's latest now: a shot from another terminal, a camera-button frame) it is refused, naming both,
        and never applied to the other take."""
        if not isinstance(event, TAKE_DECISIONS) or not event.shown:
            return None
        latest = self.store.last_take()
        if event.take_id is None:            # the screen showed no take: one it never showed is not decided
            if latest is None or latest.decision is not None:
                return None                  # the handler says why there is nothing to decide
            return self._outcome("refused", "error", N_("no take was on the screen, but take {latest} is the latest "
                                                        "now: nothing was decided — look at the screen again"),
                                 latest=latest.id, take_id=latest.id)
        if latest is not None and latest.id == event.take_id:
            return None
        return self._outcome("refused", "error", N_("take {shown} was on the screen, but take {latest} is the latest "
                                                    "now: nothing was decided — look at the screen again"),
                             shown=event.take_id, latest=latest.id if latest is not None else "-",
                             take_id=event.take_id)

    def tell_notices(self) -> None:
        """Say what the session did on its own (a binding that ended with its day)."""
        while self.session.notices:
            notice = self.session.notices.pop(0)
            self.say("warn", notice.text, **notice.fields)

    # ------------------------------------------------------------------ state the runtime asks about
    def changed(self) -> None:
        """Something a screen shows may have changed: bump the version (subscribers are told)."""
        self.version += 1

    def settle(self) -> bool:
        """The last shot's work after its verdict (`Session.settle`: the finished photo, the face check, the
        photo's validation, the preview), for a front end to call once its screen shows the verdict. True when
        the take's verdict was journalled again (the version is bumped then: screens redraw with the photo and
        the face warnings)."""
        take = self.session.settle()
        if take is None:
            return False
        if self.last_shot is not None and self.last_shot.take.id == take.id:
            self.last_shot = replace(self.last_shot, take=take, verdict=take.verdict,
                                     preview=self.session.last_preview or self.last_shot.preview)
        self.changed()
        return True

    def journal_changed(self) -> bool:
        """True when anything (this controller, or `station checkin --queue` at the desk) wrote to the journal."""
        latest = self.store.latest_event_id()
        changed, self._seen_event = latest != self._seen_event, latest
        return changed

    def poll_camera(self) -> list[Outcome]:
        """Frames the camera delivered on its own since the last poll, ingested (the runtime calls this)."""
        if self.camera is None:
            return []
        try:
            frames = self.camera.poll(0.0)
        except DomainError as exc:
            return [self._outcome("refused", "error", N_("camera: {error}"), error=str(exc))]
        if not frames:
            return []
        from station.session.triggers import arrivals
        return [self.handle(event) for event in arrivals(frames, self._now())]

    def camera_warnings(self) -> bool:
        """The camera's new warnings (a hot-folder file refused: "larger than 200 MB", not a picture...) said on
        every screen as they happen, not only in the log. True when there was one."""
        if self.camera is None:
            return False
        from station.session.idcard_checkin import clean_device_text
        warnings = self.camera.warnings()
        if len(warnings) < self._warnings_seen:          # the camera was reopened: its list starts again
            self._warnings_seen = 0
        fresh = warnings[self._warnings_seen:]
        self._warnings_seen = len(warnings)
        for warning in fresh[-MAX_MESSAGES:]:
            self.post(Message("error" if "refused" in warning or "拒收" in warning else "warn",
                              clean_device_text(warning)))
        return bool(fresh)

    def check_health(self) -> bool:
        """Probe the camera; True when its state (error text) changed."""
        if self.camera is None:
            return False
        before = self.camera.error
        self.camera.health()
        return before != self.camera.error

    def tick(self) -> bool:
        """What a runtime does between events (every POLL_SECONDS): ingest frames the camera delivered on its
        own, notice journal writes by another process, probe the camera's health every liveness interval.
        True when a screen should be redrawn (the version is bumped then)."""
        before = self.version
        self.poll_camera()
        changed = self.journal_changed()
        changed = self.camera_warnings() or changed
        hub_before = self._hub[1]
        changed = self._hub_state() != hub_before or changed           # the hub's line moved on
        if self.session.end_stale_binding() is not None:     # midnight passed with somebody bound
            self.tell_notices()
            changed = True
        if self._now() >= self._next_health:
            changed = self.check_health() or changed
            self._next_health = self._now() + self.store.settings.camera.liveness_seconds
        if changed:
            self.changed()
        return self.version != before

    def preflight(self) -> list[Message]:
        """Warnings to show before each shot: a disk below [safety] min_free_mb, said while there is still
        room to act (the shot itself goes ahead: refusing it would lose the student's turn, not save space)."""
        from station.store.workspace import LOW_SPACE, low_space
        store = self.session.store
        return [Message.of("warn", LOW_SPACE, **fields) for fields in low_space(store.workspace, store.settings)]

    def say(self, level: str, text: str, /, **fields: Any) -> Message:
        """Show a catalog message (mark `text` with N_: its Chinese comes from the catalog) to every screen."""
        return self.post(Message.of(level, text, **fields))

    def post(self, message: Message) -> Message:
        """Show a ready message (a camera's or a library's own text) to every screen."""
        self.messages.append(message)
        del self.messages[:-MAX_MESSAGES]
        self.changed()
        return message

    # ------------------------------------------------------------------ helpers
    def stale(self, at: float) -> bool:
        """A press or decision made (`at`) during the last shot or before it ended: ignored."""
        return bool(at) and (self.busy or at < self.busy_until)

    def _outcome(self, status: str, level: str, text: str, /, *, take_id: int | None = None,
                 subject_id: int | None = None, hint: str | None = None, **fields: Any) -> Outcome:
        return Outcome(status, self.say(level, text, **fields), take_id, subject_id, hint)

    def _who(self, subject: Subject) -> str:
        number = self.session.shoot_no(subject)
        return f"No. {number} {subject.name or ''} {mask_code(subject.code)}".replace("  ", " ")

    # ------------------------------------------------------------------ triggers
    def _on_key(self, event: Key) -> Outcome:
        if event.repeat:
            return self._outcome("ignored", "warn", N_("held key {key} ignored (press it once)"), key=repr(event.name))
        if event.name in self.shoot_keys:
            return self._on_shoot(Shoot(event.at))
        return self._outcome("ignored", "hint", N_("key {key} does nothing (keys are listed below)"),
                             key=repr(event.name))

    def _on_pedal(self, event: Pedal) -> Outcome:
        return self._on_shoot(Shoot(event.at))

    def _on_arrival(self, event: CameraButton | HotFolderArrival) -> Outcome:
        outcomes = self.session.ingest(list(event.frames))
        last = Outcome("done")
        for shot in outcomes:
            last = self._shown(shot)
        return last

    # ------------------------------------------------------------------ commands
    def _on_shoot(self, event: Shoot) -> Outcome:
        if self.trigger_spec.kind == "camera":
            return self._outcome("ignored", "warn",
                                 N_("trigger is the camera's own button: press the shutter on the camera"))
        if self.stale(event.at):
            return self._outcome("ignored", "warn", N_("shoot pressed while the last shot was being made: ignored"))
        if self.camera is None:
            raise SessionError(_("no camera is open at this station"))
        if not getattr(self.camera, "has_trigger", True):
            return self._outcome("ignored", "warn",
                                 N_("hot folder: shoot with the tethering program; its files arrive here"))
        bound = self.session.bound()
        if bound is None:
            waiting = len(self.session.queue())
            if waiting:
                return self._outcome("refused", "error", N_("NO SCAN, NO SHOT: nobody is bound; nothing was shot — "
                                                            "press n for the next in the queue ({waiting} waiting)"),
                                     waiting=waiting)
            return self._outcome("refused", "error",
                                 N_("NO SCAN, NO SHOT: nobody is bound; nothing was shot — scan first"))
        for message in self.preflight():
            self.post(message)
        self.say("info", N_("shooting for {code}…"), code=mask_code(bound.code))
        self.busy = True
        if self.on_progress is not None:
            self.on_progress()
        try:
            shot = self.session.shoot()
        except DomainError as exc:
            hint = getattr(exc, "hint", None)
            result = self._outcome("refused", "error", N_("camera: {error} — still bound: {code}; press again to retry"),
                                   error=str(exc), code=mask_code(bound.code), hint=hint, subject_id=bound.id)
            if hint:
                self.say("error", N_("  what to do: {hint}"), hint=hint)
            return result
        finally:
            self.busy = False
            self.busy_until = self._now()
        return self._shown(shot)

    def _shown(self, shot: ShotOutcome) -> Outcome:
        self.last_shot = shot
        take = shot.take.id
        if shot.subject is None:
            return self._outcome("done", "error", N_("UNBOUND take {take} from the camera (nobody bound): "
                                                     "u = rebind it to a student, x = void it"), take=take, take_id=take)
        if shot.ok:
            return self._outcome("done", "ok", N_("take {take}: PASS — a = accept, r = reject and shoot again"),
                                 take=take, take_id=take, subject_id=shot.subject.id)
        return self._outcome("done", "error", N_("take {take}: FAIL — a = accept, r = reject and shoot again"),
                             take=take, take_id=take, subject_id=shot.subject.id)

    # ------------------------------------------------------------------ the snapshot
    def snapshot(self) -> Snapshot:
        """What a screen shows now, read from the journal (so a restart shows the same) + recent messages."""
        store, session = self.store, self.session
        settings = store.settings
        bound = session.bound()
        return Snapshot(
            version=self.version, station_id=store.station_id, room=settings.station.room or None,
            college=session.college(), operator=session.operator or settings.station.operator or None,
            queue_mode=self.queue_mode, busy=self.busy, camera=self._camera_state(),
            bound=self._student(bound) if bound else None,
            last_take=self._take_state(store.last_take()),
            queue=tuple(QueueEntry(s.id, mask_code(s.code), s.name, session.shoot_no(s), s.source == WALK_IN)
                        for s in session.queue()),
            unbound=tuple(UnboundTake(t.id, t.seq, t.source, t.captured_at) for t in store.unbound_takes()),
            messages=tuple(self.messages),
            unpaid_blocked=(f"{mask_code(self.unpaid_blocked[1].code)} {self.unpaid_blocked[1].name or ''}".strip()
                            if self.unpaid_blocked else None),
            reader=self.reader, hub=self._hub_state())

    def _hub_state(self) -> Message | None:
        """The hub's line (joined workspaces only), read from the replicator's status file at most every
        HUB_EVERY_S seconds: never a probe, never per event."""
        if self.hub_status is None:
            return None
        now = self._now()
        if now - self._hub[0] >= HUB_EVERY_S:
            try:
                line = self.hub_status()
                message = None if line is None else Message.of(
                    "ok" if line[0] == N_("hub: connected, {n} behind") else "warn", line[0], **line[1])
            except Exception:  # noqa: BLE001 - a screen's status line never stops the station
                log.exception("hub status unreadable")
                message = self._hub[1]
            self._hub = (now, message)
        return self._hub[1]

    def _camera_state(self) -> CameraState:
        camera = self.camera
        if camera is None:
            return CameraState(spec="", ok=False, error="no camera", trigger=self.trigger)
        health = getattr(camera, "last_health", None)
        battery = getattr(health, "battery", None)
        return CameraState(spec=camera.spec, ok=camera.error is None, error=camera.error,
                           battery=None if battery is None else str(battery), model=getattr(health, "model", "") or "",
                           has_trigger=getattr(camera, "has_trigger", True), trigger=self.trigger,
                           warnings=tuple(camera.warnings()[-2:]))

    def _student(self, subject: Subject) -> StudentState:
        takes = self.session.takes_of(subject)
        pending = next((t for t in reversed(takes) if t.decision is None), None)
        counted = [t for t in takes if t.decision != "void"]
        return StudentState(subject.id, mask_code(subject.code), subject.name, subject.student_no,
                            subject.masked_id or None, subject.college or self.session.college(),
                            subject.class_name, self.session.shoot_no(subject), subject.paid,
                            len(counted), sum(1 for t in counted if t.decision == "reject"),
                            pending.id if pending else None,
                            default_reject_reason(pending.verdict) if pending else None,
                            subject.source == WALK_IN)

    def _take_state(self, take: Take | None) -> TakeState | None:
        if take is None:
            return None
        verdict = take.verdict
        subject = self.store.subject(take.subject_id) if take.subject_id else None
        workspace = self.store.workspace
        refusing = verdict is not None and verdict.ok is False
        shown = self.last_shot if self.last_shot is not None and self.last_shot.take.id == take.id else None
        photo = verdict.photo if verdict is not None else None
        return TakeState(
            take_id=take.id, seq=take.seq, subject_code=mask_code(subject.code) if subject else None,
            decision=take.decision, source=take.source,
            status="none" if verdict is None or verdict.ok is None else ("pass" if verdict.ok else "fail"),
            reasons=tuple(_reason(r, refusing=refusing) for r in (verdict.reasons if verdict else ())),
            warnings=tuple(_reason(w, refusing=False) for w in (verdict.warnings if verdict else ())),
            measures=dict(verdict.measures if verdict else {}),
            needs_override=needs_override(verdict), croppable=croppable(verdict),
            original_path=str(workspace / take.primary.file) if take.files else None,
            photo_path=str(workspace / photo) if photo else None,
            preview_path=str(shown.preview) if shown is not None and shown.preview else None,
            timings={k: round(v, 4) for k, v in (shown.timings if shown else {}).items()})


def _reason(entry: Reason, *, refusing: bool) -> ReasonState:
    from station.session.override import entry_needs_override
    return ReasonState(level=entry.level, code=entry.code, zh=entry.zh, en=entry.en, measure=entry.measure,
                       value=entry.value, override=entry_needs_override(entry, refusing=refusing))


__all__ = ["StationController", "default_reject_reason", "overridden_entries"]
