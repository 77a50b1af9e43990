"""The two contracts of the camera layer, both on `Frame`.

- `Backend` is what every camera kind implements: gphoto (a real body over libgphoto2), virtual (the same
  backend driving libgphoto2's virtual camera with a feed of chosen frames) and hotfolder (files a tethering
  program writes). Its methods run on ONE thread, the controller's, because libgphoto2 is not thread-safe.
- `Camera` is what the rest of the program is typed against: any thread may call it, a hung camera costs a
  `CameraTimeout`, never a hang. `CameraController` implements it for every backend (`open_camera(spec)`), and
  the station's `CameraHandle` implements it for a camera that may be absent and come back.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from camera.frame import Frame, Health


class Backend(Protocol):
    """One kind of camera behind the controller; every method runs on the controller's thread."""
    has_trigger: bool                       # False: files arrive on their own (hot folder)
    emit: Callable[[list[Frame]], None]     # set by the controller: frames that arrived between requests

    def connect(self) -> None: ...
    def close(self) -> None: ...
    def capture(self, deadline: float) -> list[Frame]: ...   # one shot's files, JPEG first
    def pump(self) -> list[Frame]: ...                       # frames that arrived on their own
    def probe(self) -> Health: ...
    def get_settings(self) -> dict[str, str]: ...
    def set_setting(self, name: str, value: str) -> None: ...


@runtime_checkable
class Camera(Protocol):
    """A camera as the station uses it: thread-safe, frames in, health out."""

    @property
    def has_trigger(self) -> bool: ...      # can `capture` fire the shutter (else it waits for a file)?

    def capture(self, timeout: float = 15.0) -> list[Frame]: ...   # fire and return one shot's files
    def poll(self, timeout: float = 0.0) -> list[Frame]: ...      # frames that arrived on their own
    def health(self) -> Health: ...
    def warnings(self) -> list[str]: ...
    def acknowledge(self, frames: list[Frame]) -> None: ...      # their take is journalled (hot folder: ingested)
    def release(self, frames: list[Frame]) -> None: ...          # storing failed (hot folder: offer again)
    def close(self) -> None: ...
