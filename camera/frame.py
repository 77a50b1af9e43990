"""The values the camera layer hands out: a captured frame, a health report, a detected camera.

Also the one rule for the files of one shot: a RAW+JPEG pair shares its name stem, and the JPEG comes first
(it is the file the pipeline and the verdict work on). Backends, the controller and the station all use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Protocol, Sequence, TypeVar

JPEG_EXTS = (".jpg", ".jpeg")
RAW_EXTS = (".nef", ".cr2", ".cr3", ".arw", ".dng", ".raf", ".orf", ".rw2")


@dataclass(frozen=True)
class Frame:
    """One file from the camera. `name` is the camera's own name (counters reset): never a storage name."""
    data: bytes            # exactly the frame's bytes (virtual-camera padding stripped)
    name: str              # the camera's own file name (e.g. DSC_0001.JPG)
    captured_at: datetime  # timezone-aware
    model: str
    serial: str
    kind: str              # "jpeg" | "raw"
    source: str            # "trigger" | "button" | "hotfolder"

    def __repr__(self) -> str:  # bytes in a repr would flood logs
        return (f"Frame(name={self.name!r}, kind={self.kind}, source={self.source}, {len(self.data)} bytes, "
                f"model={self.model!r}, captured_at={self.captured_at.isoformat()})")


@dataclass(frozen=True)
class Health:
    """Result of the cheap liveness probe."""
    ok: bool
    model: str
    serial: str
    battery: str | None
    message: str


@dataclass(frozen=True)
class CameraInfo:
    """A camera seen by detection."""
    model: str
    port: str
    battery: str | None


def kind_of(name: str) -> str | None:
    """"jpeg", "raw" or None (not a picture we take) from a file name's extension."""
    lower = name.lower()
    if lower.endswith(JPEG_EXTS):
        return "jpeg"
    if lower.endswith(RAW_EXTS):
        return "raw"
    return None


class _HasKind(Protocol):
    kind: str


K = TypeVar("K", bound=_HasKind)


def jpeg_first(files: Iterable[K]) -> list[K]:
    """The files of one shot in the order they are stored and used: JPEG first, the rest in camera order."""
    return sorted(files, key=lambda f: f.kind != "jpeg")


def shot_stem(frame: Frame) -> str:
    """What the files of one shot share: the camera's name without its extension (DSC_0001.NEF/.JPG)."""
    return frame.name.rsplit(".", 1)[0]


def pair_frames(frames: Sequence[Frame]) -> list[list[Frame]]:
    """Frames grouped into shots (a RAW+JPEG pair is one shot), each JPEG first, in order of arrival."""
    groups: dict[str, list[Frame]] = {}
    for index, frame in enumerate(frames):
        groups.setdefault(shot_stem(frame) or f"#{index}", []).append(frame)
    return [jpeg_first(group) for group in groups.values()]
