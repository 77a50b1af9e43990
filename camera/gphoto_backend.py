"""The libgphoto2 backend: one camera object, used only by the controller's thread.

A capture is one automaton (after Entangle): drain stray events -> trigger (busy is retried) -> collect every
FILE_ADDED until a quiet period -> download each file (timeouts retried until the deadline). Downloads that
still fail are kept as pending and delivered later, so a frame is never silently lost. A gone camera drops
the object; the next call detects again and builds a new gp.Camera (never exit()+init() on the same object).
With a `VirtualFeed` it drives libgphoto2's virtual camera and hides its traps (fixed size, 26 shots).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from camera._gp import gphoto2
from config.i18n import _
from camera.errors import CameraError, CameraGone, CameraNotFound, CameraTimeout, CardFull, from_gphoto
from camera.backoff import retry
from camera.frame import Frame, Health, jpeg_first, kind_of
from camera.settings_map import ALIASES, widget_names
from camera.vfeed import VirtualFeed

log = logging.getLogger(__name__)

#: captures per virtual camera object (the 27th fails with -3 "Out of memory"): renew before that
VIRTUAL_SHOTS_PER_OBJECT = 25
RETRYABLE_DOWNLOAD = (-10, -110)
VIRTUAL_FILE_WAIT = 3.0   # the virtual camera announces a file within ~0.1 s; far longer means it lost the shot
#: libgphoto2's virtual camera keeps ONE event queue per process (a static in vcamera.c), shared by every
#: camera object: a second station's idle event poll would take the FILE_ADDED of this one's shot. A virtual
#: shot holds this lock from trigger to collected file; a virtual poll that cannot take it skips its round.
_VIRTUAL_EVENTS = threading.Lock()

CameraFactory = Callable[[Callable[[], Any]], Any]


class GphotoBackend:
    """A libgphoto2 camera (real or virtual) behind the small backend protocol the controller uses."""

    has_trigger = True

    def __init__(self, selector: str | None = None, *, feed: VirtualFeed | None = None,
                 camera_factory: CameraFactory | None = None, quiet_period: float | None = None) -> None:
        self.selector = selector
        self.feed = feed
        self._factory = camera_factory
        # the virtual camera shoots JPEG only: no second file of a pair to wait for
        self.quiet_period = quiet_period if quiet_period is not None else (0.0 if feed else 0.6)
        self.emit: Callable[[list[Frame]], None] = lambda frames: None
        self.warn: Callable[[str], None] = lambda message: log.warning("%s", message)
        self._cam: Any = None
        self._shots = 0
        self._card_full = False
        self._pending: list[tuple[str, str, str]] = []   # (folder, name, source) taken but not downloaded
        self._last_pending_try = 0.0
        self.model = ""
        self.serial = ""
        self._delete_after_download = False

    # -- connection ---------------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._cam is not None

    def connect(self) -> None:
        """Detect and initialise a new camera object."""
        gp = gphoto2()
        if self.feed is not None and (self.feed.capacity == 0 or self.feed.needs_bigger()):
            self.feed.prepare_capacity()
        try:
            cam = self._factory(self._new_camera) if self._factory else self._new_camera()
            cam.init()
        except gp.GPhoto2Error as exc:
            raise from_gphoto(exc, _("connecting")) from None
        self._cam = cam
        self._shots = 0
        try:
            self.model = str(cam.get_abilities().model)
            self.serial = self._read_value(("serialnumber", "eosserialnumber")) or ""
            target = (self._read_value(("capturetarget",)) or "").lower()
            self._delete_after_download = self.feed is None and ("ram" in target)
        except gp.GPhoto2Error as exc:
            self._drop()
            raise from_gphoto(exc, _("reading the camera summary")) from None
        log.info("camera connected: %s (serial %s)", self.model, self.serial or "?")

    def _new_camera(self) -> Any:
        """A fresh, un-initialised gp.Camera for the selector (first detected camera when None)."""
        gp = gphoto2()
        if not self.selector:
            return gp.Camera()
        from camera.detect import autodetect, camera_for
        detected = autodetect(gp)
        match = [(n, p) for n, p in detected if self.selector in (n, p)] or \
                [(n, p) for n, p in detected if self.selector.lower() in n.lower()] or \
                [(n, p) for n, p in detected if n == self.model]   # replugged: same model, new port number
        if not match:
            seen = ", ".join(f"{n} on {p}" for n, p in detected) or _("none")
            raise CameraNotFound(_("no camera matches {selector!r} (detected: {seen})", selector=self.selector,
                                   seen=seen))
        model, port = match[0]
        return camera_for(gp, model, port)

    def _drop(self) -> None:
        """Forget the camera object (after it went away); the next call connects a new one."""
        cam, self._cam = self._cam, None
        if cam is not None:
            try:
                cam.exit()
            except Exception:  # noqa: BLE001 - a gone camera may fail to exit; nothing to do about it
                log.debug("exit of a gone camera failed", exc_info=True)

    def close(self) -> None:
        self._drop()

    def ensure_connected(self) -> None:
        if self._cam is None:
            self.connect()

    def _fail(self, exc: Exception, action: str) -> CameraError:
        """Map a libgphoto2 error and update our state (gone -> drop object, card full -> remember)."""
        err = from_gphoto(exc, action)
        if isinstance(err, CameraGone):
            self._drop()
        elif isinstance(err, CardFull):
            self._card_full = True
        return err

    # -- capture ------------------------------------------------------------------------------------------
    def capture(self, deadline: float) -> list[Frame]:
        """Trigger one shot and return its files (JPEG first)."""
        gp = gphoto2()
        self.ensure_connected()
        if self._card_full:
            self._check_card()
        stray = self.pump(force_pending=True)
        if stray:
            self.emit(stray)
        if self.feed is None:
            first = self._trigger(deadline)
            paths = self._collect(deadline, first)
        else:
            with _VIRTUAL_EVENTS:
                paths = self._virtual_shot(deadline)
        frames: list[Frame] = []
        for i, (folder, name) in enumerate(paths):
            try:
                frame = self._download(folder, name, "trigger", deadline)
            except CameraTimeout:
                self._pending.extend((f, n, "trigger") for f, n in paths[i:])
                raise CameraTimeout(
                    _("the picture was taken but downloading {name} timed out; it will be delivered as soon as "
                      "the camera answers", name=name), code=-10) from None
            except gp.GPhoto2Error as exc:
                raise self._fail(exc, _("downloading {name}", name=name)) from None
            if frame is not None:
                frames.append(frame)
        return jpeg_first(frames)

    def _virtual_shot(self, deadline: float) -> list[tuple[str, str]]:
        """Shoot on the virtual camera; if it swallows a shot (no file announced), renew it and shoot again."""
        assert self.feed is not None
        for attempt in (1, 2):
            self._feed_next()
            try:
                first = self._trigger(deadline)
            except CameraError as exc:
                if attempt == 2 or exc.code not in (-1, -3):   # -3: the per-object shot limit
                    raise
                log.warning("virtual camera refused a shot (%s); renewing it", exc)
                self._renew()
                continue
            wait_until = deadline if attempt == 2 else min(deadline, time.monotonic() + VIRTUAL_FILE_WAIT)
            try:
                return self._collect(wait_until, first)
            except CameraTimeout:
                if attempt == 2 or time.monotonic() >= deadline:
                    raise
                log.warning("virtual camera announced no file after %d shots; renewing it", self._shots)
                self.feed.uncommit()
                self._renew()
        raise AssertionError("unreachable")

    def _feed_next(self) -> None:
        """Virtual camera: renew the object before the shot limit or for a bigger frame, then load the frame."""
        assert self.feed is not None
        if self._pending:     # its bytes are the file's current content: fetch before replacing it
            late = self._retry_pending(True)
            if late:
                self.emit(late)
        if self._shots >= VIRTUAL_SHOTS_PER_OBJECT or self.feed.needs_bigger():
            self._renew()
        self.feed.load_next()

    def _renew(self) -> None:
        log.debug("virtual camera: new camera object after %d shots", self._shots)
        if self._pending:     # a virtual camera's files do not outlive its object
            self.warn(f"{len(self._pending)} picture(s) never downloaded were lost when the virtual camera was "
                      "renewed; shoot again")
            self._pending.clear()
        self._drop()
        self.connect()

    def _trigger(self, deadline: float) -> list[tuple[str, str]]:
        """Fire the shutter (a busy camera is retried until the deadline); returns the file path when the
        camera only supports blocking capture()."""
        gp = gphoto2()

        def fire() -> list[tuple[str, str]]:
            try:
                self._cam.trigger_capture()
                return []
            except gp.GPhoto2Error as exc:
                if exc.code != gp.GP_ERROR_NOT_SUPPORTED:
                    raise
            path = self._cam.capture(gp.GP_CAPTURE_IMAGE)   # older bodies: no trigger_capture
            return [(path.folder, path.name)]

        def busy(exc: Exception, delay: float) -> None:
            log.info("camera busy, retrying in %.2f s", delay)
            stray = self.pump()
            if stray:
                self.emit(stray)
        try:
            found = retry(fire, retryable=lambda exc: getattr(exc, "code", None) == -110, deadline=deadline,
                          on_retry=busy, exceptions=gp.GPhoto2Error)
        except gp.GPhoto2Error as exc:
            raise self._fail(exc, _("triggering the shutter")) from None
        self._shots += 1
        if self.feed is not None:
            self.feed.commit()
        return found

    def _collect(self, deadline: float, first: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
        """Every FILE_ADDED after a trigger, until a quiet period after the first (RAW+JPEG pairs)."""
        gp = gphoto2()
        paths: list[tuple[str, str]] = list(first or [])
        last = time.monotonic()
        while True:
            now = time.monotonic()
            if paths and now - last >= self.quiet_period:
                return paths
            if now >= deadline:
                if paths:
                    return paths
                raise CameraTimeout(_("the camera did not report a new picture in time"), code=-10)
            try:
                event, data = self._cam.wait_for_event(10)
            except gp.GPhoto2Error as exc:
                raise self._fail(exc, _("waiting for the picture")) from None
            if event == gp.GP_EVENT_FILE_ADDED:
                paths.append((data.folder, data.name))
                last = time.monotonic()
            elif event == gp.GP_EVENT_TIMEOUT:
                time.sleep(0.005)   # the virtual camera returns at once: do not spin

    def _download(self, folder: str, name: str, source: str, deadline: float) -> Frame | None:
        gp = gphoto2()
        kind = kind_of(name)
        if kind is None:
            log.warning("ignoring %s/%s: not a JPEG or RAW picture", folder, name)
            return None

        def fetch() -> bytes:
            cam_file = self._cam.file_get(folder, name, gp.GP_FILE_TYPE_NORMAL)
            return bytes(memoryview(cam_file.get_data_and_size()))  # copied while cam_file is alive

        try:
            data = retry(fetch, retryable=lambda exc: getattr(exc, "code", None) in RETRYABLE_DOWNLOAD,
                         deadline=deadline, exceptions=gp.GPhoto2Error,
                         on_retry=lambda exc, _delay: log.info("download of %s: %s, retrying", name, exc))
        except gp.GPhoto2Error as exc:
            if exc.code in RETRYABLE_DOWNLOAD:
                raise CameraTimeout(_("downloading {name} timed out", name=name), code=exc.code) from None
            raise
        if self.feed is not None:
            data = self.feed.strip(data)
        if self._delete_after_download:
            try:
                self._cam.file_delete(folder, name)
            except gp.GPhoto2Error:
                log.debug("could not delete %s/%s from the camera", folder, name, exc_info=True)
        return Frame(data=data, name=name, captured_at=datetime.now().astimezone(), model=self.model,
                     serial=self.serial, kind=kind, source=source)

    def _check_card(self) -> None:
        """After a card-full error: refuse to shoot again until the camera reports free space."""
        gp = gphoto2()
        try:
            infos = list(self._cam.get_storageinfo())
        except gp.GPhoto2Error as exc:
            raise self._fail(exc, _("reading the card's free space")) from None
        if infos and all(_storage_full(gp, s) for s in infos):
            raise CardFull("camera card is full: not shooting until there is space", code=-115)
        self._card_full = False

    # -- frames that arrive on their own ------------------------------------------------------------------
    def pump(self, *, force_pending: bool = False) -> list[Frame]:
        """Pending downloads and files announced without a trigger (body shutter button)."""
        if self._cam is None:
            return []
        frames = self._retry_pending(force_pending)
        if self.feed is None:
            return frames + self._announced()
        if not _VIRTUAL_EVENTS.acquire(blocking=False):   # another virtual object is shooting: its events
            return frames
        try:
            return frames + self._announced()
        finally:
            _VIRTUAL_EVENTS.release()

    def _announced(self) -> list[Frame]:
        """Download every file the camera announces without a trigger, until its event queue is empty."""
        gp = gphoto2()
        frames: list[Frame] = []
        for _poll in range(50):
            try:
                event, data = self._cam.wait_for_event(0)
            except gp.GPhoto2Error as exc:
                raise self._fail(exc, _("listening for camera events")) from None
            if event == gp.GP_EVENT_TIMEOUT:
                break
            if event == gp.GP_EVENT_FILE_ADDED:
                self._shots += 1
                try:
                    frame = self._download(data.folder, data.name, "button", time.monotonic() + 15)
                except CameraTimeout:
                    self._pending.append((data.folder, data.name, "button"))
                    raise
                except gp.GPhoto2Error as exc:
                    raise self._fail(exc, _("downloading {name}", name=data.name)) from None
                if frame is not None:
                    log.info("picture taken with the camera's shutter button: %s", data.name)
                    frames.append(frame)
        return frames

    def _retry_pending(self, force: bool) -> list[Frame]:
        if not self._pending or (not force and time.monotonic() - self._last_pending_try < 1.0):
            return []
        gp = gphoto2()
        self._last_pending_try = time.monotonic()
        frames = []
        while self._pending:
            folder, name, source = self._pending[0]
            try:
                frame = self._download(folder, name, source, time.monotonic() + 2.0)
            except CameraTimeout:
                log.info("pending download of %s still times out", name)
                break
            except gp.GPhoto2Error as exc:
                err = self._fail(exc, _("downloading {name}", name=name))
                if isinstance(err, CameraGone):
                    raise err from None          # keep it pending: it may still be there after a replug
                self._pending.pop(0)
                self.warn(f"a picture taken earlier ({name}) could not be downloaded: {err}; shoot it again")
                continue
            self._pending.pop(0)
            if frame is not None:
                log.info("delivered %s, whose download had timed out", name)
                frames.append(frame)
        return frames

    # -- live view ------------------------------------------------------------------------------------------
    def preview(self) -> bytes:
        """One live-view frame (a small JPEG from the body's preview stream). The virtual camera answers
        -6, which becomes PreviewUnsupported: the console then reads a folder of frames instead."""
        gp = gphoto2()
        self.ensure_connected()
        try:
            data = self._cam.capture_preview().get_data_and_size()
        except gp.GPhoto2Error as exc:
            raise self._fail(exc, _("live view (capture_preview)")) from None
        return bytes(memoryview(data))

    # -- probe and settings -------------------------------------------------------------------------------
    def probe(self) -> Health:
        """Reconnect if needed, then read the battery level: cheap, and fails fast when the camera is gone."""
        self.ensure_connected()
        gp = gphoto2()
        try:
            battery = self._read_value(("batterylevel",))
        except gp.GPhoto2Error as exc:
            raise self._fail(exc, _("checking the camera")) from None
        return Health(ok=True, model=self.model, serial=self.serial, battery=battery, message="camera ready")

    def _read_value(self, names: tuple[str, ...]) -> str | None:
        gp = gphoto2()
        for name in names:
            try:
                widget = self._cam.get_single_config(name)
            except gp.GPhoto2Error as exc:
                if exc.code in (-2, -6):   # bad parameters / not supported: this camera has no such widget
                    continue
                raise
            return str(widget.get_value())
        return None

    def get_settings(self) -> dict[str, str]:
        gp = gphoto2()
        self.ensure_connected()
        try:
            config = self._cam.get_config()
        except gp.GPhoto2Error as exc:
            raise self._fail(exc, _("reading settings")) from None
        found: dict[str, str] = {}
        for ours, names in ALIASES.items():
            for name in names:
                try:
                    found[ours] = str(config.get_child_by_name(name).get_value())
                    break
                except gp.GPhoto2Error:
                    continue
        return found

    def set_setting(self, name: str, value: str) -> None:
        gp = gphoto2()
        self.ensure_connected()
        widget = wname = None
        for candidate in widget_names(name):
            try:
                widget, wname = self._cam.get_single_config(candidate), candidate
                break
            except gp.GPhoto2Error:
                continue
        if widget is None:
            raise CameraError(_("this camera has no setting {name!r}", name=name),
                              hint=_("settings it has: {names}", names=", ".join(sorted(self.get_settings()))))
        wtype = widget.get_type()
        if wtype in (gp.GP_WIDGET_RADIO, gp.GP_WIDGET_MENU):
            choices = [str(c) for c in widget.get_choices()]
            if choices and str(value) not in choices:
                raise CameraError(_("{value!r} is not a value of {name} on this camera", value=value, name=name),
                                  hint=_("choose one of: {choices}", choices=", ".join(choices)))
        typed: Any = int(value) if wtype == gp.GP_WIDGET_TOGGLE else (
            float(value) if wtype == gp.GP_WIDGET_RANGE else str(value))
        if self.feed is not None and wname == "opcode" and str(value).lower().startswith("0x9999"):
            self._feed_next()   # virtual shutter-button shot: it must show the next picture too
        try:
            widget.set_value(typed)
            self._cam.set_single_config(wname, widget)
        except gp.GPhoto2Error as exc:
            raise self._fail(exc, _("setting {name}", name=name)) from None
        if self.feed is not None and wname == "opcode" and str(value).lower().startswith("0x9999"):
            self.feed.commit()


def _storage_full(gp: Any, info: Any) -> bool:
    fields = getattr(info, "fields", 0)
    if fields & gp.GP_STORAGEINFO_FREESPACEIMAGES:
        return info.freeimages == 0
    if fields & gp.GP_STORAGEINFO_FREESPACEKBYTES:
        return info.freekbytes < 1024
    return False
