"""Opening the camera a station uses, the way the station wants it.

Plain `virtual` is fed generated portraits the pipeline recognises as faces (varying seeds), so the demo, the
tests and the benchmark exercise the real pipeline end to end. `CameraHandle` keeps the shoot loop alive when
the camera is missing at start or disappears: it remembers the last error for the screen and reopens the
camera later instead of crashing (the bound student stays bound: that lives in the journal).
"""
from __future__ import annotations

import logging
import os
import time
from itertools import count
from pathlib import Path
from typing import Iterator, Protocol

from camera.backoff import Backoff
from camera.errors import CameraError, PreviewUnsupported
from camera.frame import Frame, Health
from camera.protocol import Camera
from config.errors import DomainError
from config.settings import Settings

log = logging.getLogger(__name__)

VIRTUAL_SIZE = (2400, 1600)          # width, height of generated frames: a DSLR's 3:2 landscape frame
SEED_ENV = "STATION_VIRTUAL_SEED"    # fixes the first seed (reproducible demos); else it varies per run


def synthetic_frames(start: int, *, size: tuple[int, int] = VIRTUAL_SIZE) -> Iterator[bytes]:
    """Endless generated portraits (pipeline.synthetic), one new seed per frame."""
    from pipeline.synthetic import portrait
    for seed in count(start):
        yield portrait(seed, width=size[0], height=size[1]).jpeg


def prefetched(frames: Iterator[bytes], depth: int = 2) -> Iterator[bytes]:
    """Generate the next frames on a background thread, so drawing a portrait (~0.2 s) is not part of the
    press-to-verdict time (a real camera has its picture ready when the shutter closes)."""
    import queue
    import threading
    ready: "queue.Queue[bytes]" = queue.Queue(maxsize=depth)

    def fill() -> None:
        for frame in frames:
            ready.put(frame)
    threading.Thread(target=fill, name="virtual-frames", daemon=True).start()
    while True:
        yield ready.get()


def first_seed() -> int:
    value = os.environ.get(SEED_ENV)
    return int(value) if value else int(time.time() * 1000) % 100_000


def open_station_camera(spec: str, settings: Settings, workspace: Path, *,
                        frames: Iterator[bytes] | None = None) -> Camera:
    """`camera.open_camera` with the station's state folder, lock and, for plain `virtual`, portraits.

    `frames`: what the plain virtual camera shows instead of its drawn portraits (the demo's scripted people,
    who keep the face check: only the camera's own drawings skip it)."""
    from camera import open_camera
    drawn = frames is None and spec.strip() == "virtual"
    if drawn:
        frames = prefetched(synthetic_frames(first_seed()))
    state_dir = workspace / "state"
    move_to = Path(settings.camera.hotfolder_move_to) if settings.camera.hotfolder_move_to else None
    # A hot-folder file counts as ingested only once its take is journalled (Session._store acknowledges it):
    # a crash between hand-over and journal offers the file again at the next start.
    camera = open_camera(spec, state_dir=state_dir, frames=frames, lock=dict(settings.camera.lock) or None,
                         move_to=move_to, liveness_seconds=settings.camera.liveness_seconds, ack_on_delivery=False)
    camera.generated_faces = drawn
    return camera


class StationCamera(Camera, Protocol):
    """The camera as the station controller sees it: the `Camera` protocol plus what the screen shows."""
    spec: str                     # what --camera / station.toml asked for
    error: str | None             # the last problem, for the screen (None: working)


class CameraHandle:
    """A camera that may be absent: opened lazily, reopened after a failure, errors kept for the screen.

    Implements `StationCamera`. A failed open or a lost camera is looked for again after the camera layer's
    backoff; a shot (`capture`) always tries at once, since the photographer is waiting.
    """

    def __init__(self, spec: str, settings: Settings, workspace: Path, *, retry_seconds: float = 3.0,
                 frames: Iterator[bytes] | None = None) -> None:
        self.spec = spec
        self.frames = frames                      # a frame source for plain `virtual` (None: drawn portraits)
        self.settings = settings
        self.workspace = workspace
        self.error: str | None = None
        self.last_health: Health | None = None    # the last probe (model, battery) for the screen
        self._camera: Camera | None = None
        self._backoff = Backoff(first=retry_seconds, cap=retry_seconds)
        self._next_try = 0.0

    @property
    def generated_faces(self) -> bool:
        """The plain `virtual` camera draws its portraits (see CameraController.generated_faces)."""
        return self.spec.strip() == "virtual" and self.frames is None

    @property
    def has_trigger(self) -> bool:
        """A hot folder cannot be fired from here: the tethering program's shutter is the trigger."""
        return not self.spec.startswith("hotfolder")

    def _ensure(self, *, force: bool = False) -> Camera:
        if self._camera is not None:
            return self._camera
        if not force and time.monotonic() < self._next_try:
            raise CameraError(self.error or "camera not available yet")
        try:
            self._camera = open_station_camera(self.spec, self.settings, self.workspace, frames=self.frames)
        except Exception as exc:
            self._wait_before_next_try()
            self.error = _one_line(exc)
            raise
        self._backoff.reset()
        self.error = None
        return self._camera

    def _wait_before_next_try(self) -> None:
        self._next_try = time.monotonic() + self._backoff.next_delay()

    def open(self) -> bool:
        """Try to open now; False (with `error` set) if the camera is not there."""
        try:
            self._ensure(force=True)
            return True
        except DomainError:
            return False

    def capture(self, timeout: float = 15.0) -> list[Frame]:
        camera = self._ensure(force=True)
        try:
            frames = camera.capture(timeout=timeout)
        except CameraError as exc:
            self.error = _one_line(exc)
            if "closed" in str(exc):
                self._drop()
            raise
        self.error = None
        return frames

    def poll(self, timeout: float = 0.0) -> list[Frame]:
        """Unsolicited frames; never raises for camera trouble (the loop must keep reading keys)."""
        try:
            camera = self._ensure()
        except DomainError:
            return []
        try:
            return camera.poll(timeout)
        except DomainError as exc:
            self.error = _one_line(exc)
            self._drop()
            return []

    def health(self) -> Health:
        """The camera's health; an absent camera is unhealthy with the reason (never raises)."""
        try:
            camera = self._ensure()
        except DomainError:
            return Health(ok=False, model="", serial="", battery=None, message=self.error or "no camera")
        health = self.last_health = camera.health()
        self.error = None if health.ok else health.message
        return health

    def preview(self, timeout: float = 5.0) -> bytes:
        """One live-view frame, from any thread (the console's live view). It never opens the camera (that is
        the worker's job) and its failures are not the camera's error: live view is a help beside the shots."""
        camera = self._camera
        if camera is None:
            raise CameraError(self.error or "no camera", hint="live view starts when the camera is back")
        preview = getattr(camera, "preview", None)
        if preview is None:
            raise PreviewUnsupported("this camera has no live view")
        return preview(timeout)

    def warnings(self) -> list[str]:
        return list(self._camera.warnings()) if self._camera is not None else []

    def acknowledge(self, frames: list[Frame]) -> None:
        if self._camera is not None:
            self._camera.acknowledge(frames)

    def release(self, frames: list[Frame]) -> None:
        if self._camera is not None:
            self._camera.release(frames)

    def _drop(self) -> None:
        camera, self._camera = self._camera, None
        self._wait_before_next_try()
        if camera is not None:
            try:
                camera.close()
            except Exception:  # noqa: BLE001 - closing a broken camera must not take the station down
                log.debug("closing a failed camera raised", exc_info=True)

    def close(self) -> None:
        camera, self._camera = self._camera, None
        if camera is not None:
            camera.close()

    def __enter__(self) -> "CameraHandle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _one_line(exc: BaseException) -> str:
    hint = getattr(exc, "hint", None)
    return f"{exc}" + (f" — {hint}" if hint else "")
