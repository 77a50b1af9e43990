"""Foot pedal trigger: read one input device with python-evdev and turn its key presses into shoots.

A USB pedal is a keyboard that types a letter; reading its own device node (and grabbing it) means the
letter never reaches other programs and the pedal works whichever window has the focus. evdev is an
optional extra (`pip install capture-station[pedal]`), imported only when a device is opened.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from camera.errors import CameraError
from config.i18n import _

log = logging.getLogger(__name__)

EV_KEY = 1          # linux/input-event-codes.h, same as evdev.ecodes.EV_KEY
KEY_DOWN = 1        # 0 = up, 2 = autorepeat: a held pedal shoots once
_FALLBACK_CODES = {"KEY_A": 30, "KEY_B": 48, "KEY_C": 46, "KEY_ENTER": 28, "KEY_SPACE": 57}


def key_code(name: str | int) -> int:
    """Numeric key code for "KEY_B", "b" or 48."""
    if isinstance(name, int):
        return name
    if name.isdigit():
        return int(name)
    full = name.upper() if name.upper().startswith("KEY_") else f"KEY_{name.upper()}"
    try:
        from evdev import ecodes
        return int(ecodes.ecodes[full])
    except ImportError:
        pass
    except KeyError:
        raise CameraError(_("unknown pedal key {name!r}", name=name), hint=_("use a name like KEY_B")) from None
    if full not in _FALLBACK_CODES:
        raise CameraError(_("unknown pedal key {name!r}", name=name), hint=_("install the pedal extra (evdev)"))
    return _FALLBACK_CODES[full]


class PedalReader:
    """Calls `on_shoot()` once per press of one of `keys` on `device` (a path or an evdev InputDevice)."""

    def __init__(self, device: str | Any, on_shoot: Callable[[], None], *, keys: Iterable[str | int] = ("KEY_B",),
                 grab: bool = True, debounce: float = 0.25) -> None:
        self._device_arg = device
        self._on_shoot = on_shoot
        self._codes = {key_code(k) for k in keys}
        self._grab = grab
        self._debounce = debounce
        self._last_press: float | None = None
        self._device: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def handle(self, event: Any) -> bool:
        """Feed one input event (anything with type/code/value and sec/usec); True when it fired a shoot."""
        if event.type != EV_KEY or event.code not in self._codes or event.value != KEY_DOWN:
            return False
        when = float(getattr(event, "sec", 0)) + float(getattr(event, "usec", 0)) / 1e6
        if self._last_press is not None and 0 <= when - self._last_press < self._debounce:
            log.debug("pedal bounce ignored")
            return False
        self._last_press = when
        try:
            self._on_shoot()
        except Exception:  # noqa: BLE001 - a failing callback must not stop the pedal
            log.exception("pedal shoot callback failed")
        return True

    def open(self) -> Any:
        """Open (and grab) the device; a device object passed in is used as is."""
        if not isinstance(self._device_arg, str):
            self._device = self._device_arg
        else:
            try:
                import evdev
            except ImportError:
                raise CameraError(_("foot pedal support needs python-evdev"),
                                  hint="pip install 'capture-station[pedal]'") from None
            try:
                self._device = evdev.InputDevice(self._device_arg)
            except OSError as exc:
                raise CameraError(_("cannot open pedal {device}: {problem}", device=self._device_arg, problem=exc.strerror),
                                  hint=_("check the path under /dev/input/by-id and that you are in group "
                                         "'input'")) from None
        if self._grab:
            try:
                self._device.grab()
            except OSError as exc:
                raise CameraError(_("cannot grab the pedal: {problem}", problem=exc),
                                  hint=_("another program holds it; close it")) from None
        return self._device

    def run(self) -> None:
        """Read events until the device goes away or `stop()`; blocking (use `start()` for a thread)."""
        device = self._device or self.open()
        try:
            for event in device.read_loop():
                if self._stop.is_set():
                    break
                self.handle(event)
        except OSError as exc:
            if not self._stop.is_set():
                log.warning("foot pedal disconnected: %s", exc)
        finally:
            self.close()

    def start(self) -> "PedalReader":
        self.open()
        self._thread = threading.Thread(target=self.run, name="pedal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.close()

    def close(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        for method in (("ungrab",) if self._grab else ()) + ("close",):
            try:
                getattr(device, method)()
            except (OSError, AttributeError):
                pass

    def __enter__(self) -> "PedalReader":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
