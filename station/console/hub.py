"""Server push: every state change of the station reaches every open page at once (Server-Sent Events).

The runtime calls back on its worker thread; the hub hands the new state to the event loop, which gives each
page the NEWEST state only (a slow tablet skips versions, it never makes the others wait or grows a backlog).
"""
from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Callable


class Hub:
    """Fan-out of JSON messages from any thread to the SSE streams on one event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clients: set[asyncio.Queue[str | None]] = set()
        self._lock = threading.Lock()
        self.published = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, kind: str, payload: dict[str, Any]) -> None:
        """From any thread: send `payload` as an SSE event named `kind` to every page."""
        text = f"event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False, default=str)}\n\n"
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._deliver, text)

    def close(self) -> None:
        """From any thread, at shutdown: end every page's stream, so the server stops without cutting
        connections off (pages reconnect by themselves when a console starts again)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._deliver, None)

    def _deliver(self, text: str | None) -> None:
        if text is not None:
            self.published += 1
        for queue in list(self._clients):
            if queue.full():              # the page has not read the last one: only the newest matters
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    pass
            queue.put_nowait(text)

    def attach(self) -> asyncio.Queue[str | None]:
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=4)
        self._clients.add(queue)
        return queue

    def detach(self, queue: asyncio.Queue[str | None]) -> None:
        self._clients.discard(queue)

    @property
    def clients(self) -> int:
        return len(self._clients)


async def stream(hub: Hub, first: Callable[[], str], *, is_disconnected: Callable[[], Any],
                 keepalive: float = 15.0):
    """The SSE body of one page: the current state first (a reload shows everything), then every change."""
    queue = hub.attach()
    try:
        yield first()
        while True:
            try:
                text = await asyncio.wait_for(queue.get(), keepalive)
            except asyncio.TimeoutError:
                if await is_disconnected():
                    return
                yield ": keepalive\n\n"
                continue
            if text is None:              # the console is stopping
                return
            yield text
    finally:
        hub.detach(queue)
