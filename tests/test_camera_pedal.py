"""Foot pedal: real evdev.InputEvent values fed to the reader (no /dev/input on the test machines)."""
from __future__ import annotations

import pytest

from camera.errors import CameraError
from camera.pedal import PedalReader, key_code

evdev = pytest.importorskip("evdev")
ecodes = evdev.ecodes


def key(code: int, value: int, sec: int = 100, usec: int = 0):  # type: ignore[no-untyped-def]
    return evdev.InputEvent(sec, usec, ecodes.EV_KEY, code, value)


class StandInDevice:
    """Shape of evdev.InputDevice for what the reader uses (a real device needs /dev/input)."""

    def __init__(self, events: list) -> None:  # type: ignore[type-arg]
        self.events, self.calls = events, []

    def grab(self) -> None:
        self.calls.append("grab")

    def ungrab(self) -> None:
        self.calls.append("ungrab")

    def close(self) -> None:
        self.calls.append("close")

    def read_loop(self):  # type: ignore[no-untyped-def]
        yield from self.events


def test_press_shoots_once_release_and_repeat_do_not() -> None:
    shots: list[int] = []
    pedal = PedalReader("/dev/null-unused", lambda: shots.append(1), keys=["KEY_B"])
    b = ecodes.KEY_B
    fired = [pedal.handle(e) for e in (key(b, 1), key(b, 2, usec=500), key(b, 0, usec=900))]
    assert fired == [True, False, False] and shots == [1]
    assert not pedal.handle(key(ecodes.KEY_A, 1, sec=200))                    # another key
    assert not pedal.handle(evdev.InputEvent(200, 0, ecodes.EV_SYN, 0, 0))    # sync events
    assert pedal.handle(key(b, 1, sec=101)) and shots == [1, 1]


def test_bounce_is_ignored() -> None:
    shots: list[int] = []
    pedal = PedalReader("x", lambda: shots.append(1), keys=["b"], debounce=0.25)
    pedal.handle(key(ecodes.KEY_B, 1, sec=5, usec=0))
    pedal.handle(key(ecodes.KEY_B, 1, sec=5, usec=100_000))   # 100 ms later: contact bounce
    pedal.handle(key(ecodes.KEY_B, 1, sec=5, usec=400_000))
    assert len(shots) == 2


def test_run_grabs_device_and_releases_it() -> None:
    shots: list[int] = []
    b = ecodes.KEY_B
    device = StandInDevice([key(b, 1, sec=1), key(b, 0, sec=1, usec=100), key(b, 1, sec=2)])
    PedalReader(device, lambda: shots.append(1)).run()
    assert shots == [1, 1]
    assert device.calls[0] == "grab" and device.calls[-2:] == ["ungrab", "close"]


@pytest.mark.usefixtures("english")
def test_key_names_and_errors() -> None:
    assert key_code("KEY_B") == key_code("b") == ecodes.KEY_B == 48
    with pytest.raises(CameraError):
        key_code("KEY_NOPE")
    with pytest.raises(CameraError, match="cannot open pedal"):
        PedalReader("/nonexistent/event-kbd", lambda: None).open()
