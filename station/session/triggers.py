"""The typed events a station controller is fed: what happened at the station, and what the operator asked.

Every input becomes one of these, whatever its device: a terminal key, a browser button, a foot pedal (evdev
or a key it types), a barcode scanner (keyboard burst or serial port), the camera body's shutter button, a
file in the hot folder. `at` is the monotonic time the person acted (0: unknown); the controller drops a shoot
press or a decision that was made while a shot was still being made.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence, Union

from camera.frame import Frame


# ---------------------------------------------------------------------------------------------- triggers
@dataclass(frozen=True)
class Key:
    """A key a keyboard sent that no front end bound to a command: a shoot key, or a held key repeating."""
    name: str                      # settings' names: "space", "enter", "b"...
    at: float = 0.0
    repeat: bool = False           # auto-repeat of a held key (or pedal): never a volley of shots


@dataclass(frozen=True)
class Pedal:
    """A foot-pedal press read from its own input device."""
    at: float = 0.0


@dataclass(frozen=True)
class Scan:
    """A scanned (or typed) code: check the student in."""
    text: str
    at: float = 0.0
    via: str = "keyboard"          # keyboard (scanner burst) | typed | serial | idcard | console | desk
    queue: bool | None = None      # None: the station's mode; True: join the queue (the desk at the door)
    unpaid_override: str = ""      # the operator's reason to bind an unpaid student where that is blocked


@dataclass(frozen=True)
class CameraButton:
    """Frames the camera delivered on its own: the shutter pressed on the camera body."""
    frames: tuple[Frame, ...]
    at: float = 0.0


@dataclass(frozen=True)
class HotFolderArrival:
    """Files the tethering program wrote into the hot folder."""
    frames: tuple[Frame, ...]
    at: float = 0.0


@dataclass(frozen=True)
class CardSwipe:
    """An ID card read at the chair (`--reader PORT`): binds its holder as a scan of its ID number would.
    `card` is the driver's IdCard (camera.idcard_text): its text only, never its photo."""
    card: Any
    at: float = 0.0
    queue: bool | None = None


@dataclass(frozen=True)
class ReaderStatus:
    """What the ID-card reader says about itself: connected, card (one was just read), refused (a card it could
    not read), lost (unplugged / not answering)."""
    state: str
    port: str = ""
    detail: str = ""
    at: float = 0.0


# ---------------------------------------------------------------------------------------------- commands
@dataclass(frozen=True)
class Shoot:
    """Fire the camera for the bound student ("no scan, no shot")."""
    at: float = 0.0


@dataclass(frozen=True)
class Accept:
    """Accept a take (None: the bound student's latest undecided take); the binding closes.
    A take that needs an override (station.session.override.needs_override) is accepted only with a non-empty
    `override` reason, journalled with the accept; a take that is not croppable never is."""
    take_id: int | None = None
    override: str | None = None
    at: float = 0.0
    #: True from a screen: `take_id` is the latest take it showed (None: it showed none), refused (naming both)
    #: when another take is the latest now. False: a take named on its own (`station accept 12`) or the
    #: default one (`station accept`): that take and no other is decided.
    shown: bool = False


@dataclass(frozen=True)
class Reject:
    """Reject a take (None: as Accept) with a reason (blank: the verdict's first reason); shoot again."""
    take_id: int | None = None
    reason: str = ""
    at: float = 0.0
    #: True from a screen: `take_id` is the latest take it showed (None: it showed none), refused (naming both)
    #: when another take is the latest now. False: a take named on its own (`station accept 12`) or the
    #: default one (`station accept`): that take and no other is decided.
    shown: bool = False


@dataclass(frozen=True)
class Void:
    """Void a take (None: this station's last take): kept on disk and in the journal, never counted."""
    take_id: int | None = None
    reason: str = ""
    at: float = 0.0
    #: True from a screen: `take_id` is the latest take it showed (None: it showed none), refused (naming both)
    #: when another take is the latest now. False: a take named on its own (`station accept 12`) or the
    #: default one (`station accept`): that take and no other is decided.
    shown: bool = False


@dataclass(frozen=True)
class Rebind:
    """Move a take (None: this station's last take) to the student `code` names: the wrong-person fix."""
    take_id: int | None = None
    code: str = ""
    reason: str = ""
    at: float = 0.0
    #: True from a screen: `take_id` is the latest take it showed (None: it showed none), refused (naming both)
    #: when another take is the latest now. False: a take named on its own (`station accept 12`) or the
    #: default one (`station accept`): that take and no other is decided.
    shown: bool = False


@dataclass(frozen=True)
class Skip:
    """Release the bound student without a photo (they stay on the re-shoot list)."""
    reason: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class Next:
    """Bind the first student waiting in the desk queue."""
    at: float = 0.0
    unpaid_override: str = ""      # as Scan's: an unpaid student first in the queue, bound anyway


@dataclass(frozen=True)
class SetCollege:
    """The college this station shoots now (roster-less students are recorded with it), for today."""
    name: str
    at: float = 0.0


@dataclass(frozen=True)
class WalkIn:
    """The desk checks in a student missing from the roster (现场补录): CODE (ID number or student number),
    name, college and class as the desk typed them (or an ID card filled them)."""
    code: str
    name: str
    college: str
    class_name: str = ""
    at: float = 0.0
    queue: bool | None = None      # None: the station's mode; True: join the queue


@dataclass(frozen=True)
class UnpaidOverride:
    """Bind anyway the student the last scan / next refused as unpaid (station.toml blocks them): what the
    terminal's `p` and the console's override button send, with the operator's reason (journalled)."""
    reason: str
    at: float = 0.0


Trigger = Union[Key, Pedal, Scan, CardSwipe, ReaderStatus, WalkIn, CameraButton, HotFolderArrival]
Command = Union[Shoot, Accept, Reject, Void, Rebind, Skip, Next, SetCollege, UnpaidOverride]
Event = Union[Trigger, Command]
#: commands that decide on what is on screen: dropped when made while a shot was being made
DECISIONS = (Accept, Reject, Void, Rebind, Skip, Next, SetCollege)
#: decisions about one take: they carry the take the screen showed (see StationController)
TAKE_DECISIONS = (Accept, Reject, Void, Rebind)


def arrivals(frames: Sequence[Frame], at: float = 0.0) -> list[CameraButton | HotFolderArrival]:
    """Frames that arrived on their own, as events: hot-folder files and camera-button frames apart."""
    hot = tuple(f for f in frames if f.source == "hotfolder")
    button = tuple(f for f in frames if f.source != "hotfolder")
    return ([CameraButton(button, at)] if button else []) + ([HotFolderArrival(hot, at)] if hot else [])


# ---------------------------------------------------------------------------------------------- the trigger spec
@dataclass(frozen=True)
class TriggerSpec:
    """How the operator fires the camera (`--trigger`), parsed once: key (station.toml's shoot keys), a foot
    pedal on its own input device, or the camera body's own button only."""
    kind: str = "key"              # key | pedal | camera
    device: str = ""               # the pedal's input device (kind pedal)

    @classmethod
    def parse(cls, text: "str | TriggerSpec") -> "TriggerSpec":
        """`key` (also `keys`), `camera` or `pedal:DEVICE`; ValueError for anything else."""
        if isinstance(text, TriggerSpec):
            return text
        kind, _, device = (text or "key").strip().partition(":")
        kind = "key" if kind == "keys" else kind
        if kind in ("key", "camera") and not device:
            return cls(kind)
        if kind == "pedal" and device.strip():
            return cls("pedal", device.strip())
        raise ValueError(text)

    @property
    def pedal(self) -> bool:
        return self.kind == "pedal"

    def __str__(self) -> str:
        return f"pedal:{self.device}" if self.pedal else self.kind
