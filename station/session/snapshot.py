"""What a station screen shows, as plain typed data: the terminal view and the browser console render this.

Built by the controller after every state change (`StationController.snapshot()`), never by a view, so two
screens cannot disagree. Everything here is JSON-serialisable through `to_dict()`; personal data is already
masked (ID numbers, subject codes that are ID numbers).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: message levels, most quiet first; a view picks its own colours for them
LEVELS = ("hint", "info", "ok", "warn", "error")


@dataclass(frozen=True)
class Message:
    """One line the controller said: `zh` first for the school staff, `en` beside it ("" when none)."""
    level: str                      # hint | info | ok | warn | error
    en: str
    zh: str = ""

    @classmethod
    def of(cls, level: str, text: str, /, **fields: Any) -> "Message":
        """A catalog message in both languages (`text` is the English msgid, marked with N_ where written)."""
        from config.i18n import in_language
        en = text.format(**fields) if fields else text
        zh = in_language("zh", text, **fields)
        return cls(level, en, "" if zh == en else zh)

    @property
    def text(self) -> str:
        """Both languages on one line, Chinese first (what the terminal prints)."""
        return f"{self.zh}  {self.en}" if self.zh and self.zh not in self.en else self.en


@dataclass(frozen=True)
class ReaderState:
    """The ID-card reader at the chair: `state` connected | card (one was just read) | refused | lost | starting."""
    port: str
    state: str
    detail: str = ""                # why (refused / lost), one line, no personal data


@dataclass(frozen=True)
class CameraState:
    spec: str                       # what --camera / station.toml asked for: virtual, usb:..., hotfolder:DIR
    ok: bool
    error: str | None               # the last problem, one line (None: working)
    battery: str | None = None      # when the camera reports it
    model: str = ""
    has_trigger: bool = True        # False: a hot folder (the tethering program's shutter is the trigger)
    trigger: str = "key"            # key | pedal:DEVICE | camera (the camera body's own button)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudentState:
    """The bound student (or a queued one), masked for screens."""
    subject_id: int
    code: str                       # masked when it is an ID number
    name: str | None
    student_no: str | None
    id_number: str | None           # masked
    college: str | None
    class_name: str | None
    shoot_no: int | None            # 拍摄号 today at this station
    paid: bool | None
    takes: int = 0                  # takes so far (void ones not counted)
    rejected: int = 0
    pending_take: int | None = None # the latest undecided take: what Accept/Reject with take_id None act on
    pending_reason: str | None = None   # what Reject with no reason records for it (its verdict's first reason)
    walk_in: bool = False           # 现场补录: checked in without being on the roster (the registrar checks them)


@dataclass(frozen=True)
class ReasonState:
    level: str                      # refuse | warn
    code: str
    zh: str
    en: str
    measure: str = ""
    value: float | None = None
    override: bool = False          # accepting despite this one needs an override reason


@dataclass(frozen=True)
class TakeState:
    take_id: int
    seq: int
    subject_code: str | None        # None: unbound (masked when an ID number)
    decision: str | None            # None (pending) | accept | reject | void
    source: str                     # trigger | button | hotfolder | submitted
    status: str                     # pass | fail | none (no verdict yet / pipeline could not run)
    reasons: tuple[ReasonState, ...] = ()
    warnings: tuple[ReasonState, ...] = ()
    measures: dict[str, Any] = field(default_factory=dict)
    needs_override: bool = False    # Accept needs a non-empty override reason
    croppable: bool = True          # False: can never be accepted
    original_path: str | None = None   # absolute path of the stored original (JPEG first)
    photo_path: str | None = None   # absolute path of the finished 480x640 photo (None: none rendered)
    preview_path: str | None = None # WORKSPACE/preview/latest.jpg when it shows THIS take
    timings: dict[str, float] = field(default_factory=dict)   # seconds: capture, pipeline, total (when shot here)

    @property
    def acceptable(self) -> bool:
        return self.croppable and self.decision != "void" and self.subject_code is not None


@dataclass(frozen=True)
class QueueEntry:
    subject_id: int
    code: str
    name: str | None
    shoot_no: int | None
    walk_in: bool = False           # 现场补录 (as StudentState's)


@dataclass(frozen=True)
class UnboundTake:
    take_id: int
    seq: int
    source: str
    captured_at: str


@dataclass(frozen=True)
class Snapshot:
    version: int                    # bumped at every change; equal versions are equal snapshots
    station_id: str
    room: str | None
    college: str | None
    operator: str | None
    queue_mode: bool
    busy: bool                      # a shot is being made right now
    camera: CameraState
    bound: StudentState | None
    last_take: TakeState | None
    queue: tuple[QueueEntry, ...] = ()
    unbound: tuple[UnboundTake, ...] = ()
    messages: tuple[Message, ...] = ()   # the recent ones, newest last
    unpaid_blocked: str | None = None    # who a binding was just refused for (unpaid, blocked): override with a reason
    reader: ReaderState | None = None    # the ID-card reader at the chair (`--reader PORT`), None without one
    hub: Message | None = None           # `hub: connected, 0 behind` (joined workspaces only; None: no hub)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.last_take is not None:
            out["last_take"]["acceptable"] = self.last_take.acceptable
        out["messages"] = [dict(m, text=msg.text) for m, msg in zip(out["messages"], self.messages)]
        if self.hub is not None:
            out["hub"]["text"] = self.hub.text
        return out


@dataclass(frozen=True)
class Outcome:
    """What one submitted event did. `status`:
    done     it happened;
    ignored  a controller rule dropped it (pressed while a shot was being made, a held key's repeat, a key
             with no meaning): nothing changed;
    refused  the station said no (no scan no shot, override needed, not croppable, ...): `message` says why;
    failed   an unexpected error (logged; the station stays up)."""
    status: str
    message: Message | None = None
    take_id: int | None = None
    subject_id: int | None = None
    hint: str | None = None
    version: int = 0                # the snapshot version after the event
    warnings: tuple[str, ...] = ()  # what the event warned about (a scan: NOT PAID, binding moved), as said

    @property
    def ok(self) -> bool:
        return self.status == "done"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        if self.message is not None:
            out["message"]["text"] = self.message.text
        return out
