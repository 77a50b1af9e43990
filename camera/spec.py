"""Turning a camera spec string (from --camera or station.toml) into a running CameraController."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from camera.controller import CameraController
from config.i18n import _
from camera.protocol import Backend
from camera.errors import CameraError

SPEC_FORMS = ("gphoto", "gphoto:MODEL-OR-PORT", "virtual", "virtual:DIR", "hotfolder:DIR")


def build_backend(spec: str, *, state_dir: Path | None = None, frames: Iterable[bytes] | None = None,
                  move_to: Path | None = None, max_file_bytes: int | None = None,
                  ack_on_delivery: bool = True) -> Backend:
    """The backend a spec names (not yet connected)."""
    kind, _sep, arg = spec.strip().partition(":")
    if kind == "gphoto":
        from camera.gphoto_backend import GphotoBackend
        return GphotoBackend(selector=arg or None)
    if kind == "virtual":
        from camera._gp import ensure_virtual_dir
        from camera.generate import generated_frames
        from camera.gphoto_backend import GphotoBackend
        from camera.vfeed import VirtualFeed, dir_frames
        if frames is None:
            if arg:
                folder = Path(arg).expanduser()
                if not folder.is_dir():
                    raise CameraError(_("virtual camera folder {folder} does not exist", folder=folder),
                                      hint=_("give a folder of JPEG frames: --camera virtual:DIR"))
                frames = dir_frames(folder)
            else:
                frames = generated_frames()
        return GphotoBackend(selector=None, feed=VirtualFeed(ensure_virtual_dir(), frames))
    if kind == "hotfolder" and arg:
        from camera.hotfolder import DEFAULT_MAX_BYTES, HotFolderBackend
        return HotFolderBackend(Path(arg).expanduser(), state_dir=state_dir, move_to=move_to,
                                max_bytes=max_file_bytes or DEFAULT_MAX_BYTES, ack_on_delivery=ack_on_delivery)
    raise CameraError(_("unknown camera {spec!r}", spec=spec), hint=_("use one of: {forms}", forms=", ".join(SPEC_FORMS)))


def open_camera(spec: str, *, state_dir: Path | None = None, frames: Iterable[bytes] | None = None,
                lock: Mapping[str, str] | None = None, move_to: Path | None = None,
                liveness_seconds: float = 3.0, max_file_bytes: int | None = None,
                ack_on_delivery: bool = True) -> CameraController:
    """Open the camera a spec names and start its owner thread (connected on return).

    `virtual` returns the next item of `frames` per capture (generated numbered portraits when None; a
    frame list that runs out raises CameraError); `virtual:DIR` returns DIR's JPEGs in name order from the
    first, cycling when all were used (`frames`, when given, wins over DIR). Hot folder only: `move_to` moves
    ingested files there; `max_file_bytes` refuses larger files (default 200 MB); `ack_on_delivery=False`
    counts a file as ingested only after `acknowledge(frames)` (the station calls it once the take is journalled).
    """
    backend = build_backend(spec, state_dir=state_dir, frames=frames, move_to=move_to,
                            max_file_bytes=max_file_bytes, ack_on_delivery=ack_on_delivery)
    return CameraController(backend, lock=lock, liveness_seconds=liveness_seconds,
                            name=spec.partition(":")[0]).start()
