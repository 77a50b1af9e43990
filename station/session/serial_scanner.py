"""Device readers that feed a station scans without the terminal: a serial (USB CDC) barcode scanner.

Moved here from station.tui.keys so `Station.open` (station.session.station) can start it for every front end,
the terminal and the console alike; station.tui.keys re-exports both names.
"""
from __future__ import annotations

import os
import select
import threading
import time
from typing import Callable, Iterator


def read_until_stopped(fd: int, stop_fd: int, size: int) -> Iterator[bytes]:
    """What a reader thread gets from `fd` until `stop_fd` becomes readable (stop), end of input or a read
    error (a device unplugged): the one select loop of the terminal and the serial scanner."""
    while True:
        ready, _, _ = select.select([fd, stop_fd], [], [])
        if stop_fd in ready:
            return
        try:
            data = os.read(fd, size)
        except OSError:
            return
        if not data:
            return
        yield data


class SerialScanner:
    """A scanner in serial (USB CDC) mode: exact bytes, one line per scan, read from its tty on a thread.

    Plain termios is enough for a CDC port (the baud rate is ignored by the device), so pyserial is not
    needed. Each complete line is handed to `on_scan(text, monotonic_time)`.
    """

    def __init__(self, port: str, on_scan: "Callable[[str, float], None]") -> None:
        self.port = port
        self.on_scan = on_scan
        self._fd: int | None = None
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None

    def start(self) -> "SerialScanner":
        self._fd = os.open(self.port, os.O_RDONLY | os.O_NOCTTY)
        if os.isatty(self._fd):
            import termios
            import tty
            tty.setraw(self._fd)
            attrs = termios.tcgetattr(self._fd)
            attrs[4] = attrs[5] = termios.B115200
            termios.tcsetattr(self._fd, termios.TCSANOW, attrs)
        self._thread = threading.Thread(target=self._run, name="serial-scanner", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        pending = b""
        assert self._fd is not None
        for data in read_until_stopped(self._fd, self._stop_r, 4096):   # unplugged: ends; the keyboard works
            pending += data
            while True:
                cut = min((i for i in (pending.find(b"\r"), pending.find(b"\n")) if i >= 0), default=-1)
                if cut < 0:
                    break
                line, pending = pending[:cut], pending[cut + 1:]
                text = line.decode("utf-8", errors="replace").strip()
                if text:
                    self.on_scan(text, time.monotonic())

    def stop(self) -> None:
        os.write(self._stop_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=2)
        for fd in (self._fd, self._stop_r, self._stop_w):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
