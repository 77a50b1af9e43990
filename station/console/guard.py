"""The console's outer wall, before any route runs: the Host header, request body sizes and times.

- Host: only the names and addresses this console serves (127.0.0.1, localhost, ::1, and with --lan this
  machine's addresses and name). A page on evil.example whose DNS later points at 127.0.0.1 (DNS rebinding)
  sends `Host: evil.example` and is refused, cookie or not.
- Bodies: refused with 413 before they are read when Content-Length says too much, and cut off at the limit
  when no length is given (chunked): BODY_LIMITS per path, DEFAULT_BODY_LIMIT for every other request. The
  console has no upload route; a route that takes files must add its own stated limit here.
- A body not complete within BODY_SECONDS (however it dribbles in) is given up (408), so it cannot hold a
  request, and its connection, open.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable, Iterable

BODY_LIMITS = {"/pair": 4 * 1024}          # a PIN and a page name
DEFAULT_BODY_LIMIT = 64 * 1024             # every JSON action (a reason text, an export folder)
BODY_SECONDS = 10.0

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def host_name(header: str) -> str:
    """The host of a Host header, lower case, without the port ('[::1]:8765' -> '::1')."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else ""
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def allowed_hosts(bind: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """What a Host header may name for a console bound to `bind` (plus `extra`: LAN addresses, host names)."""
    names = {"127.0.0.1", "localhost", "::1"}
    if bind not in ("0.0.0.0", "::", ""):
        names.add(bind)
    return frozenset(n.lower() for n in (*names, *extra) if n)


class Guard:
    """Pure ASGI middleware: Host check, body caps, body time limit."""

    def __init__(self, app: Callable[..., Awaitable[None]], hosts: Callable[[], frozenset[str]]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = host_name(headers.get("host", ""))
        server = scope.get("server") or ("", 0)
        if host not in self.hosts() and host != str(server[0]).lower():   # the address it came in on is fine
            await _plain(send, 421, "misdirected request: unknown Host")
            return
        limit = BODY_LIMITS.get(scope.get("path", ""), DEFAULT_BODY_LIMIT)
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit() or int(length) > limit:
                await _plain(send, 413, f"request body over {limit} bytes")
                return
        if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            body = await _read_body(receive, limit)
            if isinstance(body, int):
                await _plain(send, body, "request body too large" if body == 413 else "request body too slow")
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)


async def _read_body(receive: Receive, limit: int) -> bytes | int:
    """The whole body, read here so the app never reads more than `limit` bytes nor waits on a stalled
    sender: the bytes, or the status to answer (413 too large, 408 too slow, 400 gone)."""
    chunks: list[bytes] = []
    seen = 0
    deadline = asyncio.get_running_loop().time() + BODY_SECONDS     # the whole body, not each piece of it
    while True:
        try:
            message = await asyncio.wait_for(receive(), max(0.0, deadline - asyncio.get_running_loop().time()))
        except asyncio.TimeoutError:
            return 408
        if message["type"] != "http.request":
            return 400
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            return 413
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body read already, then the real channel (disconnects)."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


async def _plain(send: Send, status: int, text: str) -> None:
    body = json.dumps({"error": text}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
