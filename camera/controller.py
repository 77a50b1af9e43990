"""CameraController: one thread owns the camera; every other thread talks to it through a queue.

libgphoto2 objects are not thread-safe and a camera call can block for seconds, so the owner thread runs
requests one at a time and, between them, listens for frames that arrive on their own (shutter button, hot
folder), probes liveness and checks locked settings. Callers wait on a future with a deadline: a hung camera
costs them a CameraTimeout, never a hang, and the frames of a request they gave up on go to `poll()`.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from camera.errors import CameraError, CameraTimeout, PreviewUnsupported
from config.i18n import _
from camera.frame import Frame, Health, jpeg_first, shot_stem
from camera.protocol import Backend

log = logging.getLogger(__name__)

GRACE_SECONDS = 5.0   # how long past its own deadline we wait for the camera thread before giving up


@dataclass
class _Request:
    fn: Callable[[], Any]
    future: Future = field(default_factory=Future)
    lock: threading.Lock = field(default_factory=threading.Lock)
    abandoned: bool = False


class _Inbox:
    """Frames waiting for `poll()` (or, without a trigger, for `capture()`), oldest first."""

    def __init__(self) -> None:
        self._frames: deque[Frame] = deque()
        self._cond = threading.Condition()

    def put(self, frames: list[Frame]) -> None:
        if frames:
            with self._cond:
                self._frames.extend(frames)
                self._cond.notify_all()

    def take(self, timeout: float, *, pair_only: bool = False) -> list[Frame]:
        """Wait up to `timeout` for a frame; return all (or the first and its same-name siblings)."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self._frames), timeout=max(0.0, timeout))
            if not self._frames:
                return []
            if not pair_only:
                out = list(self._frames)
                self._frames.clear()
                return out
            first = self._frames.popleft()
            siblings = [f for f in self._frames if shot_stem(f) == shot_stem(first)]
            for f in siblings:
                self._frames.remove(f)
            return jpeg_first([first, *siblings])


class CameraController:
    """Owns one backend on one thread. Use as a context manager (`with open_camera(...) as cam:`)."""

    #: the frames are portraits drawn by the program (the station's plain `virtual` camera), not people:
    #: a face-recognition check would find every drawn face alike
    generated_faces: bool = False

    def __init__(self, backend: Backend, *, lock: Mapping[str, str] | None = None,
                 liveness_seconds: float = 3.0, tick: float = 0.02, name: str = "camera") -> None:
        self._backend = backend
        self._lock = dict(lock or {})
        self._liveness = liveness_seconds
        self._tick = tick
        self._requests: deque[_Request | None] = deque()
        self._wake = threading.Condition()
        self._inbox = _Inbox()
        self._warnings: list[str] = []
        self._warn_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"{name}-owner", daemon=True)
        self._closed = False
        self._last_probe = 0.0
        self._lock_check_due = False
        self._last_idle_error = ""
        backend.emit = self._inbox.put
        if hasattr(backend, "warn"):
            backend.warn = self._warn

    # -- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> "CameraController":
        """Start the owner thread and connect; raises the CameraError if the camera cannot be opened."""
        self._thread.start()
        try:
            self._call(self._connect, 30.0)
        except BaseException:
            self.close()
            raise
        return self

    def _connect(self) -> None:
        self._backend.connect()
        self._last_probe = time.monotonic()
        self._check_lock()

    def close(self) -> None:
        """Stop the thread and release the camera (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            done = _Request(fn=self._backend.close)
            self._enqueue(done)
            self._enqueue(None)
            self._thread.join(timeout=10.0)
        else:
            self._backend.close()

    def __enter__(self) -> "CameraController":
        if not self._thread.is_alive() and not self._closed:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API (any thread): the `Camera` protocol ------------------------------------------------------
    @property
    def has_trigger(self) -> bool:
        """False for a hot folder: the tethering program's shutter is the trigger, `capture` only waits."""
        return self._backend.has_trigger

    def capture(self, timeout: float = 15.0) -> list[Frame]:
        """Shoot and return the frames (JPEG first; RAW+JPEG gives two).

        A hot folder has no trigger: it returns the oldest complete file not yet handed out (with its RAW or
        JPEG sibling), waiting up to `timeout` for one to arrive.
        """
        if not self._backend.has_trigger:
            self._check_alive()
            frames = self._inbox.take(timeout, pair_only=True)
            if not frames:
                raise CameraTimeout(_("no new picture arrived within {seconds:g} s", seconds=timeout),
                                    hint=_("check that the tethering program saves into the hot folder"))
            self._delivered(frames)
            return frames
        deadline = time.monotonic() + timeout
        frames = self._call(lambda: self._backend.capture(deadline), timeout + GRACE_SECONDS)
        self._lock_check_due = bool(self._lock)
        return frames

    def poll(self, timeout: float) -> list[Frame]:
        """Frames that arrived on their own (shutter button, hot folder, late downloads); [] on timeout."""
        self._check_alive()
        frames = self._inbox.take(timeout)
        self._delivered(frames)
        return frames

    def acknowledge(self, frames: list[Frame]) -> None:
        """The frames' take is journalled: a hot folder opened with ack_on_delivery=False records them as
        ingested only now (until then a crash offers them again). No-op for a camera."""
        hook = getattr(self._backend, "acknowledge", None)
        if frames and hook is not None:
            hook(frames)

    def release(self, frames: list[Frame]) -> None:
        """The frames could not be stored: a hot folder offers their files again. No-op for a camera."""
        hook = getattr(self._backend, "release", None)
        if frames and hook is not None:
            hook(frames)

    def health(self) -> Health:
        """Liveness probe (reconnects a camera that came back); never raises for camera trouble."""
        try:
            return self._call(self._probe, 10.0)
        except CameraError as exc:
            return Health(ok=False, model=getattr(self._backend, "model", ""),
                          serial=getattr(self._backend, "serial", ""), battery=None,
                          message=f"{exc}" + (f" ({exc.hint})" if exc.hint else ""))

    def preview(self, timeout: float = 5.0) -> bytes:
        """One live-view frame, taken on the owner thread between shots (PreviewUnsupported when the backend
        has no live view: a hot folder, libgphoto2's virtual camera)."""
        backend_preview = getattr(self._backend, "preview", None)
        if backend_preview is None:
            raise PreviewUnsupported("this camera has no live view")
        return self._call(backend_preview, timeout)

    def get_settings(self) -> dict[str, str]:
        return self._call(self._backend.get_settings, 15.0)

    def set_setting(self, name: str, value: str) -> None:
        self._call(lambda: self._backend.set_setting(name, value), 15.0)
        self._lock_check_due = bool(self._lock)

    def warnings(self) -> list[str]:
        """Warnings so far (settings that differ from the session's lock, corrupt hot-folder files...)."""
        with self._warn_lock:
            return list(self._warnings)

    # -- plumbing -----------------------------------------------------------------------------------------
    def _check_alive(self) -> None:
        if self._closed or not self._thread.is_alive():
            raise CameraError(_("the camera is closed"), hint=_("open it again"))

    def _delivered(self, frames: list[Frame]) -> None:
        hook = getattr(self._backend, "delivered", None)
        if frames and hook is not None:
            hook(frames)

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        with self._warn_lock:
            if message not in self._warnings[-20:]:
                self._warnings.append(message)

    def _enqueue(self, request: _Request | None) -> None:
        with self._wake:
            self._requests.append(request)
            self._wake.notify()

    def _call(self, fn: Callable[[], Any], timeout: float) -> Any:
        """Run `fn` on the owner thread; give up (CameraTimeout) after `timeout` seconds."""
        self._check_alive()
        request = _Request(fn=fn)
        self._enqueue(request)
        try:
            return request.future.result(timeout=timeout)
        except FutureTimeout:
            with request.lock:
                if request.future.done():
                    return request.future.result()
                request.abandoned = True
                request.future.cancel()
            raise CameraTimeout(_("the camera did not answer within {seconds:g} s", seconds=timeout)) from None

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._requests:
                    self._wake.wait(timeout=self._tick)
                request = self._requests.popleft() if self._requests else False
            if request is None:
                return
            if request:
                self._execute(request)
            self._idle()

    def _execute(self, request: _Request) -> None:
        if not request.future.set_running_or_notify_cancel():
            return
        try:
            result = request.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            with request.lock:
                if request.abandoned:
                    log.warning("a request that timed out failed later: %s", exc)
                else:
                    request.future.set_exception(exc)
            return
        with request.lock:
            if request.abandoned:
                if isinstance(result, list) and result and all(isinstance(f, Frame) for f in result):
                    log.warning("frames of a capture that timed out arrived late: delivered through poll()")
                    self._inbox.put(result)
                request.future.set_result(result)  # nobody waits; keeps the future consistent
            else:
                request.future.set_result(result)

    def _idle(self) -> None:
        """Between requests: collect unsolicited frames, probe liveness, check locked settings."""
        try:
            self._inbox.put(self._backend.pump())
            now = time.monotonic()
            if now - self._last_probe >= self._liveness:
                self._last_probe = now
                self._probe()
            if self._lock_check_due:
                self._lock_check_due = False
                self._check_lock()
            self._last_idle_error = ""
        except CameraError as exc:
            if str(exc) != self._last_idle_error:   # once per distinct problem, not every tick
                self._last_idle_error = str(exc)
                log.info("camera: %s", exc)   # the screen and the command say it; the log keeps it
        except Exception:  # noqa: BLE001 - the owner thread must survive anything
            log.exception("unexpected error in the camera thread")

    def _probe(self) -> Health:
        self._last_probe = time.monotonic()
        was_connected = getattr(self._backend, "connected", True)
        health = self._backend.probe()
        if not was_connected:
            log.info("camera reconnected: %s", health.model)
            self._check_lock()
        return health

    def _check_lock(self) -> None:
        if not self._lock:
            return
        from camera.settings_map import canonical
        actual = self._backend.get_settings()
        for key, wanted in self._lock.items():
            have = actual.get(canonical(key))
            if have is None:
                self._warn(f"locked setting {key}={wanted} cannot be checked: the camera does not report {key}")
            elif have != str(wanted):
                self._warn(f"camera setting {key} is {have}, the session locked {wanted}")
