"""Camera errors: one kind per thing the photographer can act on, each with a plain message and a hint.

libgphoto2 reports numeric codes; `from_gphoto` turns them into these kinds so the CLI (which only knows
`DomainError`) can print one line and what to do, and callers can react by kind (retry, reconnect, stop).
"""
from __future__ import annotations

from config.errors import DomainError
from config.i18n import N_, _


class CameraError(DomainError):
    """Anything the camera layer cannot do for a reason outside the code (hardware, environment, input)."""

    #: libgphoto2 error code when the error came from libgphoto2
    code: int | None = None

    def __init__(self, message: str, *, hint: str | None = None, code: int | None = None) -> None:
        super().__init__(message, hint=hint)
        if code is not None:
            self.code = code


class CameraBusy(CameraError):
    """The camera refused a command because it is still working (-110); retried before being raised."""
    hint = N_("wait a moment and shoot again; if it persists, half-press the shutter or turn the camera off and on")


class CameraClaimed(CameraError):
    """Another program holds the USB device (-53), usually the desktop's gvfs."""
    hint = N_("close the program holding the camera: `pkill -f gvfs-gphoto2` (and `gio mount -u gphoto2://*` "
            "if the camera shows up as a mounted drive), then replug the camera")


class CameraGone(CameraError):
    """The camera disappeared from USB (-52, -7): unplugged, switched off or asleep."""
    hint = N_("check the cable and that the camera is on (wake it with a half-press); it reconnects by itself")


class CameraTimeout(CameraError):
    """The camera did not answer in time (-10)."""
    hint = N_("shoot again; if it keeps happening, check the cable and turn the camera off and on")


class CardFull(CameraError):
    """The camera's card is full (-115): no further shot is attempted until there is space."""
    hint = N_("swap or empty the memory card (or set capture target to internal RAM), then shoot again")


class CameraNotFound(CameraError):
    """No camera is detected (-105 or an empty detection list)."""
    hint = N_("plug the camera in with its USB cable, switch it on, and run `station cameras`")


class PreviewUnsupported(CameraError):
    """The camera gives no live view (-6 "unsupported": libgphoto2's virtual camera, some bodies, a hot folder)."""
    hint = N_("live view needs a body that libgphoto2 can preview (capture_preview); the console can show a folder "
            "of frames instead: --live-frames DIR")


def from_gphoto(exc: BaseException, action: str) -> CameraError:
    """Map a `gphoto2.GPhoto2Error` (or anything with `.code`) raised while doing `action` to our kind."""
    code = getattr(exc, "code", None)
    detail = str(exc)
    if code == -110:
        return CameraBusy(_("camera busy while {action}", action=action), code=code)
    if code == -53:
        from camera.holders import find_holders
        holders = find_holders()
        who = ", ".join(f"{h.name} (pid {h.pid})" for h in holders) or _("another program")
        return CameraClaimed(_("cannot claim the camera while {action}: {who} holds it", action=action, who=who),
                             code=code)
    if code in (-52, -7):
        return CameraGone(_("camera disconnected while {action} ({detail})", action=action, detail=detail), code=code)
    if code == -10:
        return CameraTimeout(_("camera did not answer in time while {action}", action=action), code=code)
    if code == -115:
        return CardFull(_("camera card is full ({action} refused)", action=action), code=code)
    if code == -6:
        return PreviewUnsupported(_("the camera does not support {action}", action=action), code=code)
    if code == -105:
        return CameraNotFound(_("no camera found while {action}", action=action), code=code)
    return CameraError(_("camera error while {action}: {detail}", action=action, detail=detail), code=code,
                       hint=_("turn the camera off and on; run `station doctor` if it persists"))
