"""Live-view sources: where the console's moving picture comes from, behind one small interface.

A real body gives its preview stream (libgphoto2 `capture_preview`, through the camera's owner thread, so live
view and shots never use the camera object at once). libgphoto2's virtual camera answers `capture_preview` with
-6 (unsupported), so the demo and the tests read a folder of frames at a steady rate through the SAME
interface: what the console draws does not know which one it has.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path
from typing import Any, Protocol

from camera.errors import CameraError, PreviewUnsupported
from config.i18n import _

DEFAULT_FPS = 12.0


class LiveSource(Protocol):
    """Gives the next live-view JPEG; `next_frame` blocks at most until the source's next frame is due."""
    name: str

    def next_frame(self) -> bytes: ...
    def close(self) -> None: ...


class CameraLiveSource:
    """The body's own preview stream (capture_preview). Raises PreviewUnsupported when it has none."""

    name = "camera"

    def __init__(self, camera: Any, *, timeout: float = 5.0) -> None:
        if getattr(camera, "preview", None) is None:
            raise PreviewUnsupported("this camera has no live view")
        self.camera = camera
        self.timeout = timeout

    def next_frame(self) -> bytes:
        return bytes(self.camera.preview(self.timeout))

    def close(self) -> None:
        """The camera belongs to the station: nothing to close here."""


class FolderLiveSource:
    """The JPEGs of a folder in name order, cycling, at `fps`: the virtual camera's live view."""

    name = "folder"

    def __init__(self, folder: Path, *, fps: float = DEFAULT_FPS) -> None:
        files = sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg"))
        if not files:
            raise CameraError(_("no JPEG frames for live view in {folder}", folder=folder),
                              hint=_("give a folder of *.jpg frames (station demo --console makes one)"))
        self.folder = Path(folder)
        self.interval = 1.0 / max(fps, 0.1)
        self._frames: Iterator[bytes] = cycle([p.read_bytes() for p in files])
        self._due = 0.0
        self._lock = threading.Lock()
        self.count = len(files)

    def next_frame(self) -> bytes:
        with self._lock:
            now = time.monotonic()
            if self._due > now:
                time.sleep(self._due - now)
            self._due = max(self._due, now) + self.interval
            return next(self._frames)

    def close(self) -> None:
        """Nothing is held open."""


def open_live_source(camera: Any, folder: Path | None, *, fps: float = DEFAULT_FPS) -> LiveSource:
    """A folder when one is given (virtual camera, demo, tests), else the camera's preview stream."""
    if folder is not None:
        return FolderLiveSource(folder, fps=fps)
    return CameraLiveSource(camera)
