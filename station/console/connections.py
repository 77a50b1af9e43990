"""Connections idle clients cannot use to starve the station, and a log a flood cannot fill.

uvicorn waits for a request's headers forever: 1,100 half-sent requests use up a 1,024-descriptor process and
the paired station times out, while asyncio logs every failed accept(). Here:
- a connection must deliver complete headers within HEADER_SECONDS (and again between kept-alive requests);
- at most MAX_CONNECTIONS are open: a newcomer beyond that closes the OLDEST connection still waiting for its
  headers (the flood's), so the station's own fresh request, whose headers come at once, gets through;
- one address other than this machine's own may hold at most MAX_PER_CLIENT connections;
- the process's descriptor limit is raised to its hard limit so the cap, not the kernel, decides;
- RateLimit lets a repeated log line through a few times a minute, then counts what it held back.
"""
from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import OrderedDict
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_SECONDS = 10.0
MAX_CONNECTIONS = 256
MAX_PER_CLIENT = 48          # one other machine cannot take every connection (this machine's own are not counted)


class Gate:
    """The open connections of one server, the ones still waiting for headers first-in first-out."""

    def __init__(self, max_connections: int = MAX_CONNECTIONS, header_seconds: float = HEADER_SECONDS) -> None:
        self.max_connections = max_connections
        self.header_seconds = header_seconds
        self.open: set[Any] = set()
        self.waiting: OrderedDict[Any, None] = OrderedDict()
        self.evicted = 0

    def admit(self, conn: Any, client: str = "") -> bool:
        """Make room for `conn` (closing the oldest one waiting for headers); False if there is none to close
        or its address already holds MAX_PER_CLIENT connections."""
        if client and not client.startswith("127.") and client != "::1":
            if sum(1 for c in self.open if getattr(c, "client", None) and c.client[0] == client) >= MAX_PER_CLIENT:
                return False
        while len(self.open) >= self.max_connections:
            if not self.waiting:
                return False
            oldest, _ = self.waiting.popitem(last=False)
            self.open.discard(oldest)
            self.evicted += 1
            oldest.drop()
        self.open.add(conn)
        return True


def protocol_for(gate: Gate) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol bound to `gate` (pass as uvicorn.Config(http=...))."""

    class GatedH11(H11Protocol):
        _timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if not gate.admit(self, str(self.client[0]) if self.client else ""):
                self.drop()
                return
            self._await_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._settled()
            gate.open.discard(self)
            super().connection_lost(exc)

        def handle_events(self) -> None:
            before = self.cycle
            super().handle_events()
            if self.cycle is not before:          # a request's headers arrived: it is served, not waiting
                self._settled()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():   # kept alive: the next request's headers get the same time
                self._await_headers()

        def _await_headers(self) -> None:
            self._settled()
            gate.waiting[self] = None
            self._timer = self.loop.call_later(gate.header_seconds, self.drop)

        def _settled(self) -> None:
            gate.waiting.pop(self, None)
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def drop(self) -> None:
            """Close without a word (an idle or half-sent connection has nothing to be answered)."""
            self._settled()
            if not self.transport.is_closing():
                self.transport.abort()

    return GatedH11


def raise_descriptor_limit() -> int:
    """Raise this process's open-file limit to its hard limit; return the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


class RateLimit(logging.Filter):
    """At most `burst` records of one message template per `window` seconds; the next one let through
    after a quiet spell says how many were held back."""

    def __init__(self, burst: int = 5, window: float = 60.0) -> None:
        super().__init__()
        self.burst, self.window = burst, window
        self._seen: dict[tuple[str, str], list[float]] = {}     # key -> [window start, count, held back]

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg)[:200])
        now = time.monotonic()
        slot = self._seen.get(key)
        if slot is None or now - slot[0] > self.window:
            held = int(slot[2]) if slot else 0
            self._seen[key] = [now, 1, 0]
            if len(self._seen) > 1000:
                self._seen = {key: self._seen[key]}
            if held:
                record.msg = f"{record.msg} ({held} similar lines held back)"
            return True
        slot[1] += 1
        if slot[1] <= self.burst:
            return True
        slot[2] += 1
        return False


_FILTER = RateLimit()


def rate_limit_logs(*names: str) -> None:
    """Put the rate limit on these loggers (once)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
