"""Terminal input for the shoot loop: tell a scanner burst from a photographer's key press.

A keyboard-mode scanner types a whole code plus Enter within a few milliseconds per character; people (and a
foot pedal) are far slower. So characters are timestamped as they arrive and grouped into bursts (gap below
`scan_gap_ms`). A burst ending in Enter is a scan, never a command, even when it holds `b` or spaces. A lone
character, typed slowly with nothing on the input line, is a key (command or shoot key). Anything else slow
(digits of a student number keyed by hand) builds an input line that Enter submits.

`KeyClassifier` is pure (feed characters with times, get events) so it is tested without a terminal;
`TerminalKeys` is the thin raw-terminal reader that feeds it.
"""
from __future__ import annotations

import os
import queue
import select
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from station.session.serial_scanner import SerialScanner, read_until_stopped  # noqa: F401 - moved there

ENTER_CHARS = ("\r", "\n")
BACKSPACE_CHARS = ("\x7f", "\x08")
ESC = "\x1b"
MIN_SCAN_CHARS = 3      # a fast burst shorter than this before Enter is treated as typed, not scanned
JOIN_WINDOW = 0.25      # typed-line text this close before a scan burst is the scan's own head, delayed
KEY_NAMES = {" ": "space", "\t": "tab", ESC: "escape", "\x03": "ctrl-c", "\x04": "ctrl-d"}
LINE_OPENERS = ("/",)   # opens the input line explicitly (to key a code that starts with a command letter)


@dataclass(frozen=True)
class KeyEvent:
    """One thing the operator did: kind is 'scan' (fast burst + Enter), 'line' (typed + Enter) or 'key'."""
    kind: str
    text: str
    at: float = 0.0       # monotonic time of the last character


def key_name(char: str) -> str:
    """The name a settings file uses for a key: 'space', 'enter', 'escape', or the character itself."""
    if char in ENTER_CHARS:
        return "enter"
    return KEY_NAMES.get(char, char)


@dataclass
class KeyClassifier:
    """Groups timestamped characters into scans, typed lines and single keys.

    Decisions wait until a burst is over (`gap` seconds of quiet) unless it ends in Enter, so a key press
    costs at most `gap` of latency and a scan is complete the moment its Enter arrives.
    """
    gap: float = 0.060
    line_mode: bool = False                 # a prompt is open: every slow character is text
    line: str = ""                          # the input line being typed by hand (shown on screen)
    typing: bool = False                    # the input line is open (a digit or "/" was typed)
    _burst: list[tuple[str, float]] = field(default_factory=list)
    _line_at: float = float("-inf")         # when the last character went into the line

    def feed(self, char: str, at: float) -> list[KeyEvent]:
        """One character arrived at monotonic time `at`; returns the events it completes."""
        out: list[KeyEvent] = []
        if self._burst and at - self._burst[-1][1] >= self.gap:
            out += self._settle()
        if char in ENTER_CHARS:
            out += self._enter(at)
            return out
        self._burst.append((char, at))
        return out

    def tick(self, now: float) -> list[KeyEvent]:
        """Time passed with no new character: settle a burst whose quiet period is over."""
        if self._burst and now - self._burst[-1][1] >= self.gap:
            return self._settle()
        return []

    def deadline(self) -> float | None:
        """When `tick` may next produce something (None: nothing pending)."""
        return self._burst[-1][1] + self.gap if self._burst else None

    def clear_line(self) -> None:
        self.line, self.typing = "", False

    def _enter(self, at: float) -> list[KeyEvent]:
        # Every character of a pending burst came less than `gap` after the previous one, and so did this
        # Enter (feed settles a burst first when the gap is over): a pending burst here is machine-fast.
        burst, self._burst = self._burst, []
        text = "".join(c for c, _ in burst)
        if burst and len(text.strip()) >= MIN_SCAN_CHARS and not any(c in BACKSPACE_CHARS + (ESC,) for c in text):
            if self.line and not self.line_mode and burst[0][1] - self._line_at < JOIN_WINDOW:
                # the reader was held up mid-scan: the scan's first characters were settled as typing
                text = self.line + text
            self.clear_line()           # a scan is authoritative: whatever was half-typed is dropped
            return [KeyEvent("scan", text.strip(), at)]
        self._absorb(text)
        typed = self.line.strip()
        self.clear_line()
        if typed:
            return [KeyEvent("line", typed, at)]
        return [KeyEvent("key", "enter", at)]

    def _settle(self) -> list[KeyEvent]:
        """A burst without Enter is over: a lone key, a key's auto-repeat, or text for the input line."""
        burst, self._burst = self._burst, []
        text = "".join(c for c, _ in burst)
        at = burst[-1][1]
        if text.startswith(ESC):
            if len(text) > 1:
                return []               # an escape sequence (arrow keys...): ignored
            self.clear_line()
            return [KeyEvent("key", "escape", at)]
        if not (self.typing or self.line_mode):
            if len(text) == 1 and not text.isdigit() and text not in LINE_OPENERS:
                return [KeyEvent("key", key_name(text), at)]
            if len(text) > 1 and len(set(text)) == 1 and not text.isdigit():
                # a held key or pedal auto-repeats: never a volley of commands or shots
                return [KeyEvent("key", "repeat:" + key_name(text[0]), at)]
            self.typing = True
            if text in LINE_OPENERS:
                return [KeyEvent("key", "edit", at)]
        self._absorb(text)
        self._line_at = at
        if not self.line and not self.line_mode:
            self.typing = False         # backspaced to nothing: back to single-key commands
        return [KeyEvent("key", "edit", at)]

    def _absorb(self, text: str) -> None:
        for char in text:
            if char in BACKSPACE_CHARS:
                self.line = self.line[:-1]
            elif char.isprintable():
                self.line += char


def classify(chars: Iterable[tuple[str, float]], gap: float = 0.060, end: float | None = None) -> list[KeyEvent]:
    """Classify a whole timed sequence at once (tests, the benchmark)."""
    clf = KeyClassifier(gap=gap)
    out: list[KeyEvent] = []
    last = 0.0
    for char, at in chars:
        out += clf.feed(char, at)
        last = at
    out += clf.tick((end if end is not None else last) + gap)
    return out


class TerminalKeys:
    """Reads the terminal character by character in cbreak mode, timestamping each on arrival.

    A background thread does the reading so that characters typed while the station is busy shooting keep
    their true arrival times (otherwise slow key presses would pile up and look like a scanner burst).
    The terminal settings are restored by `close()` (use it as a context manager).
    """

    def __init__(self, fd: int | None = None) -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
        # (character, time) from the terminal; device threads (pedal, serial scanner) put (typed event, time)
        self.queue: "queue.Queue[tuple[Any, float] | None]" = queue.Queue()
        self._saved: list | None = None
        self._stop_r, self._stop_w = os.pipe()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "TerminalKeys":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        import termios
        import tty
        if os.isatty(self.fd):
            self._saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)           # keys one by one, no echo; Ctrl-C still interrupts
            attrs = termios.tcgetattr(self.fd)
            attrs[0] &= ~termios.IXON         # Ctrl-S must not freeze the station
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        self._thread = threading.Thread(target=self._run, name="terminal-keys", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stopping = True
        os.write(self._stop_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._saved is not None:
            import termios
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None
        for fd in (self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _run(self) -> None:
        import codecs
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for data in read_until_stopped(self.fd, self._stop_r, 1024):
            at = time.monotonic()
            for char in decoder.decode(data):
                self.queue.put((char, at))
        if not self._stopping:
            self.queue.put(None)             # end of input (terminal gone)

    def get(self, timeout: float | None) -> tuple[Any, float] | None | bool:
        """The next (char, time); None at end of input; False when `timeout` passed with nothing."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return False

