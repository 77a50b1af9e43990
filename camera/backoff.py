"""The one retry rule of the camera layer: wait, then try again, each wait longer up to a cap.

A busy camera (-110), a download that times out (-10) and a camera that is gone all ask for the same thing:
try again soon, but not in a tight loop that keeps the USB bus (or the station's screen) busy.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

T = TypeVar("T")


@dataclass
class Backoff:
    """Growing waits: `first`, then times `factor`, never above `cap`; `reset()` after a success."""
    first: float = 0.05
    cap: float = 1.0
    factor: float = 2.0
    _next: float = field(default=0.0, init=False, repr=False)

    def next_delay(self) -> float:
        """The wait before the next try (and the following one grows)."""
        delay = self._next or self.first
        self._next = min(delay * self.factor, self.cap)
        return min(delay, self.cap)

    def reset(self) -> None:
        self._next = 0.0


def retry(attempt: Callable[[], T], *, retryable: Callable[[Exception], bool], deadline: float,
          backoff: Backoff | None = None, on_retry: Callable[[Exception, float], None] | None = None,
          exceptions: type[Exception] | tuple[type[Exception], ...] = Exception) -> T:
    """`attempt()` until it returns; a retryable error is tried again while the wait still ends before
    `deadline` (time.monotonic()). Anything else, or the last retryable error, is raised to the caller."""
    backoff = backoff or Backoff()
    while True:
        try:
            return attempt()
        except exceptions as exc:
            delay = backoff.next_delay()
            if not retryable(exc) or time.monotonic() + delay >= deadline:
                raise
            if on_retry is not None:
                on_retry(exc, delay)
            time.sleep(delay)
