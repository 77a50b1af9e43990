"""Feeding libgphoto2's virtual camera one chosen picture per capture.

The virtual camera returns the first JPEG of VCAMERADIR and reads its size only when a camera object is
initialised. So the folder holds exactly one file, padded with zero bytes to a fixed capacity, replaced
atomically with same-size content before each capture; we remember the true length to strip the padding.
When a frame is bigger than the capacity the camera object must be re-created with a bigger one.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from itertools import cycle
from pathlib import Path

from camera.errors import CameraError
from config.i18n import _

log = logging.getLogger(__name__)

FRAME_NAME = "station-frame.jpg"
MIN_CAPACITY = 256 * 1024


def dir_frames(folder: Path) -> Iterator[bytes]:
    """The JPEGs of `folder` in name order, cycling forever (a demo never runs dry; logged at each wrap)."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg"))
    if not files:
        raise CameraError(_("no JPEG files in {folder}", folder=folder), hint=_("put the demo frames (*.jpg) in that folder"))

    def read_all() -> Iterator[bytes]:
        for rounds, path in enumerate(cycle(files)):
            if rounds and rounds % len(files) == 0:
                log.info("virtual:%s: all %d frames used, starting again from the first", folder, len(files))
            yield path.read_bytes()
    return read_all()


class VirtualFeed:
    """Owns the virtual camera folder's single file and the frames to put in it."""

    def __init__(self, folder: Path, frames: Iterable[bytes]) -> None:
        self.folder = folder
        self._frames = iter(frames)
        self.capacity = 0
        self.length = 0           # true length of the frame currently on the "camera"
        self._next: bytes | None = None
        self._shot: bytes | None = None
        others = [p.name for p in folder.glob("*") if p.suffix.lower() in (".jpg", ".jpeg") and p.name != FRAME_NAME]
        if others:
            raise CameraError(_("the virtual camera folder {folder} holds other JPEGs: {names}", folder=folder,
                                names=", ".join(sorted(others)[:3])),
                              hint=_("point VCAMERADIR at an empty folder reserved for the station"))

    def peek(self) -> bytes:
        """The next frame to shoot, without consuming it (so a failed trigger does not skip a picture)."""
        if self._next is None:
            try:
                self._next = bytes(next(self._frames))
            except StopIteration:
                raise CameraError(_("the virtual camera has no more frames to return"),
                                  hint=_("give it more frames (virtual:DIR cycles; a frame list does not)")) from None
        return self._next

    def needs_bigger(self) -> bool:
        """True when the next frame does not fit the capacity the camera object was initialised with."""
        return len(self.peek()) > self.capacity

    def prepare_capacity(self) -> None:
        """Choose a capacity for a new camera object that fits the next frame with room to spare."""
        need = len(self.peek())
        self.capacity = max(MIN_CAPACITY, self.capacity, need + need // 2)
        self._write(self._next or b"")

    def load_next(self) -> int:
        """Put the next frame in the folder (same padded size); return its true length.

        The frame stays "next" until `commit()` (called once the shutter really fired), so a shot that
        failed to trigger does not skip a picture.
        """
        data = self.peek()
        if len(data) > self.capacity:
            raise AssertionError("capacity must be raised (new camera object) before loading this frame")
        self._write(data)
        self.length = len(data)
        return self.length

    def commit(self) -> None:
        """The loaded frame was shot: move on to the following one."""
        self._shot, self._next = self._next, None

    def uncommit(self) -> None:
        """The last shot never produced a file: offer its frame again."""
        if self._shot is not None and self._next is None:
            self._next, self._shot = self._shot, None

    def strip(self, data: bytes) -> bytes:
        """The frame's own bytes from a download of the padded file."""
        return data[: self.length]

    def _write(self, data: bytes) -> None:
        target = self.folder / FRAME_NAME
        tmp = self.folder / (".tmp-" + FRAME_NAME)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.write(b"\0" * (self.capacity - len(data)))
        os.replace(tmp, target)
