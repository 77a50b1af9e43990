"""Live view for the console: frames from a `camera.live.LiveSource`, each with the face box and the format's
band guides drawn, and a "ready" flag when the live face would crop inside every band.

One producer thread per console, however many pages watch: it runs only while someone watches (a live view
nobody looks at must not keep the camera busy between shots), and every viewer gets the newest frame (a slow
browser skips frames, it never slows the others or the shoot page). Each frame carries a brightness histogram;
the camera's exposure settings are read every SETTINGS_SECONDS by the same thread (through the camera's owner
thread, like the preview). The virtual camera has no preview of its own: GeneratedLiveSource draws a person
stepping into place, through the same LiveSource interface.
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
SETTINGS_SECONDS = 5.0
HIST_BINS = 32
EXPOSURE_KEYS = ("iso", "shutter", "aperture", "whitebalance", "exposurecompensation")


@dataclass(frozen=True)
class LiveFrame:
    """One annotated live-view frame."""
    number: int
    jpeg: bytes
    ready: bool                  # the face meets the bands: press now
    faces: int
    made_at: float               # monotonic
    histogram: tuple[int, ...] = ()   # HIST_BINS brightness shares, 0-1000 each (per mille of the frame)
    why: str = ""                     # why not ready: NO_FACE, MANY_FACES, OUTSIDE, TILTED ("" when ready)


def histogram(image: Image.Image, bins: int = HIST_BINS) -> tuple[int, ...]:
    """Brightness distribution of `image` in `bins` bins, per mille (what a photographer reads for exposure)."""
    counts = image.convert("L").histogram()
    step = 256 // bins
    grouped = [sum(counts[i:i + step]) for i in range(0, 256, step)]
    total = max(sum(grouped), 1)
    return tuple(round(1000 * c / total) for c in grouped)


# why the ready light is off (the page shows the words; "" = ready)
NO_FACE, MANY_FACES, OUTSIDE, TILTED = "no_face", "many_faces", "outside", "tilted"


def annotate(data: bytes, preset: FormatPreset, *, width: int = LIVE_WIDTH) -> tuple[bytes, bool, int, str]:
    """A live frame at `width` px with the face box, the crop box and its bands drawn; whether it is ready, the
    faces found and why it is not ready.

    The same measuring as the verdict's geometry (one mesh pass) and the same crop planner: "ready" means
    the shot taken now would crop with crown, eyes and face width inside their bands, and the head is straight
    (roll within the preset's warning band). Eyes open is left to the verdict: it needs the refined mesh,
    about twice the cost per frame.
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
    why = NO_FACE if a.faces == 0 else MANY_FACES
    if a.faces == 1:
        plan = plan_crop(a, decoded.full_size, preset)
        box = plan.box
        roll_limit = preset.checks.roll_deg.warn
        tilted = roll_limit is not None and abs(a.measures.get("roll_deg", 0.0)) > roll_limit
        why = OUTSIDE if box is None else (TILTED if tilted else "")
        ready = not why
        cx = (a.eye_left[0] + a.eye_right[0]) / 2
        face = (cx - a.face_width / 2, a.crown_y, cx + a.face_width / 2, a.chin_y)
    draw_frame_guides(image, image.width / decoded.full_size[0], preset, crop_box=box, face_box=face, ready=ready)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue(), ready, a.faces, why


class LiveView:
    """The newest annotated frame, made by one thread while anyone watches."""

    def __init__(self, open_source: Callable[[], LiveSource], preset: FormatPreset, *,
                 width: int = LIVE_WIDTH, paused: Callable[[], bool] = lambda: False,
                 read_settings: Callable[[], dict[str, str]] | None = None) -> None:
        self._open_source = open_source
        self._read_settings = read_settings
        self.settings: dict[str, str] = {}     # the camera's exposure settings, as the body reports them
        self._settings_at = 0.0
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
                self._refresh_settings()
                try:
                    data = source.next_frame()
                    jpeg, ready, faces, why = annotate(data, self.preset, width=self.width)
                    hist = histogram(Image.open(io.BytesIO(jpeg)).reduce(4))
                except CameraError as exc:
                    self._fail(exc)
                    return
                except Exception as exc:  # noqa: BLE001 - one bad frame must not end live view
                    log.warning("live view frame skipped: %s", exc)
                    continue
                number += 1
                with self._cond:
                    self.error = None
                    self._latest = LiveFrame(number, jpeg, ready, faces, time.monotonic(), hist, why)
                    self._cond.notify_all()
        finally:
            source.close()

    def _refresh_settings(self) -> None:
        """The body's exposure settings, at most every SETTINGS_SECONDS (a camera without them: none)."""
        if self._read_settings is None or time.monotonic() - self._settings_at < SETTINGS_SECONDS:
            return
        self._settings_at = time.monotonic()
        try:
            found = self._read_settings() or {}
        except Exception as exc:  # noqa: BLE001 - settings are a help beside live view, never its end
            log.debug("live view: no camera settings: %s", exc)
            return
        self.settings = {k: str(found[k]) for k in (*EXPOSURE_KEYS, "battery") if found.get(k) not in (None, "")}

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
            "number": frame.number if frame else 0, "settings": dict(view.settings)}


class GeneratedLiveSource:
    """Live view for a camera without one (libgphoto2's virtual camera, the demo): a generated person steps in
    from the side and stands in place, LOOP_FRAMES frames at `fps`, through the LiveSource interface."""

    name = "generated"
    LOOP_FRAMES = 36

    def __init__(self, *, fps: float = 12.0, seed: int = 40, size: tuple[int, int] = (960, 640)) -> None:
        self.interval = 1.0 / max(fps, 0.1)
        self.seed, self.size = seed, size
        self._frames: list[bytes] = []
        self._i = 0
        self._due = 0.0

    def _make(self) -> list[bytes]:
        from pipeline.synthetic import BACKDROP, portrait
        w, h = self.size
        person = Image.open(io.BytesIO(portrait(self.seed, width=w, height=h).jpeg)).convert("RGB")
        frames = []
        for i in range(self.LOOP_FRAMES):
            # walk in over the first third, stand still (ready) for the rest
            shift = round(-0.45 * w * max(0.0, 1 - i / (self.LOOP_FRAMES / 3)))
            canvas = Image.new("RGB", (w, h), BACKDROP)
            canvas.paste(person, (shift, 0))
            buf = io.BytesIO()
            canvas.save(buf, "JPEG", quality=85)
            frames.append(buf.getvalue())
        return frames

    def next_frame(self) -> bytes:
        if not self._frames:
            self._frames = self._make()
        now = time.monotonic()
        if self._due > now:
            time.sleep(self._due - now)
        self._due = max(self._due, now) + self.interval
        frame = self._frames[self._i % len(self._frames)]
        self._i += 1
        return frame

    def close(self) -> None:
        """Nothing is held open."""
