"""Live view for the console: frames from a `camera.live.LiveSource`, each with the face box and the format's
band guides drawn, and a "ready" flag when the live face would crop inside every band.

One producer thread per console, however many pages watch: it runs only while someone watches (a live view
nobody looks at must not keep the camera busy between shots), and every viewer gets the newest frame (a slow
browser skips frames, it never slows the others or the shoot page).
"""
from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from PIL import Image

from camera.errors import CameraError
from camera.live import LiveSource
from config.formats import FormatPreset

log = logging.getLogger(__name__)

LIVE_WIDTH = 640
IDLE_STOP_SECONDS = 3.0


@dataclass(frozen=True)
class LiveFrame:
    """One annotated live-view frame."""
    number: int
    jpeg: bytes
    ready: bool                  # the face meets the bands: press now
    faces: int
    made_at: float               # monotonic


def annotate(data: bytes, preset: FormatPreset, *, width: int = LIVE_WIDTH) -> tuple[bytes, bool, int]:
    """A live frame at `width` px with the face box, the crop box and its bands drawn; whether it is ready.

    The same measuring as the verdict's geometry (one mesh pass) and the same crop planner: "ready" means
    the shot taken now would crop with crown, eyes and face width inside their bands.
    """
    from pipeline.analyse import analyse
    from pipeline.decode import decode_for_analysis
    from pipeline.overlay import draw_frame_guides
    from pipeline.plan import plan_crop

    decoded = decode_for_analysis(data, max_side=width)
    image = Image.fromarray(decoded.rgb)
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)))
    a = analyse(decoded, preset, geometry_only=True)
    box, face, ready = None, None, False
    if a.faces == 1:
        plan = plan_crop(a, decoded.full_size, preset)
        box, ready = plan.box, plan.box is not None
        cx = (a.eye_left[0] + a.eye_right[0]) / 2
        face = (cx - a.face_width / 2, a.crown_y, cx + a.face_width / 2, a.chin_y)
    draw_frame_guides(image, image.width / decoded.full_size[0], preset, crop_box=box, face_box=face, ready=ready)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue(), ready, a.faces


class LiveView:
    """The newest annotated frame, made by one thread while anyone watches."""

    def __init__(self, open_source: Callable[[], LiveSource], preset: FormatPreset, *,
                 width: int = LIVE_WIDTH, paused: Callable[[], bool] = lambda: False) -> None:
        self._open_source = open_source
        self._paused = paused          # True while a shot is being made: the shot gets the CPU and the camera
        self.preset = preset
        self.width = width
        self._cond = threading.Condition()
        self._latest: LiveFrame | None = None
        self._last_wanted = 0.0
        self._thread: threading.Thread | None = None
        self._stop = False
        self.error: str | None = None        # why there is no live view (shown in the page)

    def wanted(self) -> None:
        """A viewer is there: keep (or start) producing."""
        with self._cond:
            self._last_wanted = time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._stop = False
                self._thread = threading.Thread(target=self._run, name="live-view", daemon=True)
                self._thread.start()

    def next_frame(self, after: int, timeout: float = 2.0) -> LiveFrame | None:
        """The first frame newer than number `after` (None on timeout or when live view failed)."""
        self.wanted()
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._latest is None or self._latest.number <= after) and self.error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self._latest if self._latest is not None and self._latest.number > after else None

    def latest(self) -> LiveFrame | None:
        with self._cond:
            return self._latest

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            source = self._open_source()
        except CameraError as exc:
            self._fail(exc)
            return
        number = self._latest.number if self._latest else 0
        try:
            while True:
                with self._cond:
                    if self._stop or time.monotonic() - self._last_wanted > IDLE_STOP_SECONDS:
                        return
                if self._paused():
                    time.sleep(0.02)
                    continue
                try:
                    data = source.next_frame()
                    jpeg, ready, faces = annotate(data, self.preset, width=self.width)
                except CameraError as exc:
                    self._fail(exc)
                    return
                except Exception as exc:  # noqa: BLE001 - one bad frame must not end live view
                    log.warning("live view frame skipped: %s", exc)
                    continue
                number += 1
                with self._cond:
                    self.error = None
                    self._latest = LiveFrame(number, jpeg, ready, faces, time.monotonic())
                    self._cond.notify_all()
        finally:
            source.close()

    def _fail(self, exc: CameraError) -> None:
        log.info("live view unavailable: %s", exc)
        with self._cond:
            self.error = f"{exc}" + (f" — {exc.hint}" if exc.hint else "")
            self._cond.notify_all()


def live_status(view: LiveView | None) -> dict[str, Any]:
    """What the page shows beside the picture: ready light, faces, or why there is no live view."""
    if view is None:
        return {"available": False, "error": None}
    frame = view.latest()
    return {"available": view.error is None, "error": view.error,
            "ready": bool(frame and frame.ready), "faces": frame.faces if frame else 0,
            "number": frame.number if frame else 0}
