"""Faults libgphoto2's virtual camera cannot produce, injected by a wrapper around the REAL camera object.

The wrapper delegates every call to a real gp.Camera and only raises the configured libgphoto2 error
(busy, timeout, gone, card full) or tears the real object down; everything else is the real camera.
"""
from __future__ import annotations

import gc
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from camera import CameraGone, CameraTimeout, CardFull
from camera._gp import ensure_virtual_dir, gphoto2
from camera.controller import CameraController
from camera.gphoto_backend import GphotoBackend
from camera.vfeed import VirtualFeed


def jpeg(n: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (48, 32), (n * 7 % 256, n * 13 % 256, n * 29 % 256)).save(buf, "JPEG")
    return buf.getvalue()


FRAMES = [jpeg(i) for i in range(40)]


@dataclass
class Faults:
    busy_triggers: int = 0        # the next N triggers answer -110
    download_timeouts: int = 0    # the next N downloads answer -10 (after a short stall)
    gone: bool = False            # unplugged: every call and every new camera answers -52
    card_full: bool = False       # triggers answer -115 and storage reports no free space
    no_trigger: bool = False      # an older body without trigger_capture (-6 not supported)
    swallow_triggers: int = 0     # the next N triggers are accepted but no file is ever announced
    teardown: bool = False        # the next call exits the real camera object, then it is gone for good
    triggers: int = 0             # trigger attempts that reached the camera
    cameras: int = 0              # real camera objects created
    torn_down: int = 0


class _NoSpace:
    """A real storage-info record with the free space reported as zero."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return 0 if name in ("freeimages", "freekbytes") else getattr(self._real, name)


class FaultyCamera:
    """Delegates to a real gp.Camera; injects only the faults switched on in `faults`."""

    def __init__(self, real: Any, faults: Faults) -> None:
        self._real, self._faults, self._dead = real, faults, False

    def _gate(self) -> None:
        gp = gphoto2()
        if self._faults.teardown and not self._dead:
            self._faults.teardown = False
            self._faults.torn_down += 1
            self._real.exit()
            self._dead = True
        if self._dead or self._faults.gone:
            raise gp.GPhoto2Error(-52)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kw: Any) -> Any:
            self._gate()
            return attr(*args, **kw)
        return call

    def exit(self) -> None:
        """Releasing a gone camera still works (it closes our side of the port), as with a real unplug."""
        if not self._dead:
            self._dead = True
            self._real.exit()

    def trigger_capture(self) -> None:
        gp = gphoto2()
        self._gate()
        self._faults.triggers += 1
        if self._faults.busy_triggers:
            self._faults.busy_triggers -= 1
            raise gp.GPhoto2Error(-110)
        if self._faults.card_full:
            raise gp.GPhoto2Error(-115)
        if self._faults.no_trigger:
            raise gp.GPhoto2Error(-6)
        if self._faults.swallow_triggers:
            self._faults.swallow_triggers -= 1
            return
        self._real.trigger_capture()

    def file_get(self, *args: Any) -> Any:
        gp = gphoto2()
        self._gate()
        if self._faults.download_timeouts:
            self._faults.download_timeouts -= 1
            time.sleep(0.05)     # a timeout takes time
            raise gp.GPhoto2Error(-10)
        return self._real.file_get(*args)

    def get_storageinfo(self) -> list[Any]:
        self._gate()
        infos = list(self._real.get_storageinfo())
        return [_NoSpace(i) for i in infos] if self._faults.card_full else infos


@pytest.fixture
def rig() -> Iterator[tuple[CameraController, Faults]]:
    faults = Faults()

    def factory(make_real):  # type: ignore[no-untyped-def]
        if faults.gone:
            raise gphoto2().GPhoto2Error(-52)
        faults.cameras += 1
        return FaultyCamera(make_real(), faults)

    backend = GphotoBackend(feed=VirtualFeed(ensure_virtual_dir(), iter(FRAMES)), camera_factory=factory)
    controller = CameraController(backend, liveness_seconds=0.5).start()
    try:
        yield controller, faults
    finally:
        controller.close()
        gc.collect()   # free every camera object now, not during a later test


def wait_until(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_busy_is_retried_then_succeeds(rig) -> None:  # type: ignore[no-untyped-def]
    cam, faults = rig
    faults.busy_triggers = 3
    frames = cam.capture(timeout=30)
    assert [f.data for f in frames] == [FRAMES[0]]
    assert faults.triggers == 4 and faults.busy_triggers == 0


def test_transient_download_timeout_is_retried(rig) -> None:  # type: ignore[no-untyped-def]
    cam, faults = rig
    faults.download_timeouts = 2
    assert cam.capture(timeout=30)[0].data == FRAMES[0]


@pytest.mark.usefixtures("english")
def test_download_timeout_neither_hangs_nor_loses_the_frame(rig) -> None:  # type: ignore[no-untyped-def]
    cam, faults = rig
    assert cam.capture(timeout=30)[0].data == FRAMES[0]
    faults.download_timeouts = 10**9          # the camera stops answering mid-download
    with pytest.raises(CameraTimeout) as err:
        cam.capture(timeout=1.0)
    assert "will be delivered" in str(err.value)   # what the operator sees
    faults.download_timeouts = 0              # the camera answers again
    assert cam.capture(timeout=30)[0].data == FRAMES[2]     # the next shot works...
    late = []
    assert wait_until(lambda: late.extend(cam.poll(0.2)) or bool(late))
    assert [(f.data, f.source) for f in late] == [(FRAMES[1], "trigger")]   # ...and the taken one is not lost


@pytest.mark.usefixtures("english")
def test_camera_gone_is_one_line_and_capture_resumes(rig) -> None:  # type: ignore[no-untyped-def]
    cam, faults = rig
    assert cam.capture(timeout=30)[0].data == FRAMES[0]
    faults.gone = True
    with pytest.raises(CameraGone) as err:
        cam.capture(timeout=5)
    assert "\n" not in str(err.value) and "disconnected" in str(err.value) and err.value.hint
    with pytest.raises(CameraGone):
        cam.capture(timeout=5)                  # still unplugged: still a clear error, no hang
    assert cam.health().ok is False
    faults.gone = False                         # plugged back in
    assert cam.capture(timeout=30)[0].data == FRAMES[1]   # no picture skipped
    assert faults.cameras >= 2                  # a new camera object was built


def test_reconnect_after_camera_object_torn_down(rig) -> None:  # type: ignore[no-untyped-def]
    cam, faults = rig
    assert cam.capture(timeout=30)[0].data == FRAMES[0]
    faults.teardown = True                      # the owner thread's next call finds the object exited
    assert wait_until(lambda: faults.torn_down == 1)
    assert wait_until(lambda: cam.health().ok)  # liveness probe reconnects with a new gp.Camera
    assert faults.cameras == 2
    assert [cam.capture(timeout=30)[0].data for _ in range(2)] == FRAMES[1:3]


def test_card_full_is_reported_before_shooting_again(rig) -> None:  # type: ignore[no-untyped-def]
    cam, faults = rig
    faults.card_full = True
    with pytest.raises(CardFull):
        cam.capture(timeout=10)
    attempts = faults.triggers
    with pytest.raises(CardFull) as err:
        cam.capture(timeout=10)
    assert faults.triggers == attempts          # refused before the shutter was tried
    assert "card" in (err.value.hint or "")
    faults.card_full = False                    # card swapped
    assert cam.capture(timeout=30)[0].data == FRAMES[0]


def test_virtual_shot_swallowed_is_shot_again_on_a_new_object(rig) -> None:  # type: ignore[no-untyped-def]
    cam, faults = rig
    faults.swallow_triggers = 1     # seen once on the virtual camera: trigger accepted, no file announced
    assert cam.capture(timeout=30)[0].data == FRAMES[0]
    assert faults.cameras == 2 and faults.triggers == 2
    assert cam.capture(timeout=30)[0].data == FRAMES[1]


def test_body_without_trigger_capture_uses_blocking_capture(rig) -> None:  # type: ignore[no-untyped-def]
    cam, faults = rig
    faults.no_trigger = True
    assert [cam.capture(timeout=30)[0].data for _ in range(3)] == FRAMES[:3]
