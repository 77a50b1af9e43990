"""The hub's view of the day: every station's journal and photos, rebuilt from the stream and the object store
into one replica workspace per station, which report and export read with the same merge as `--from`.
"""
from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from config.i18n import _
from station.hub.connect import HubUnreachable, connect
from station.hub.replicator import Replicas, ensure_school
from station.hub.server import STREAM, SUBJECTS, HubError, HubSetup
from station.store.workspace import JOURNAL_FILE


def wait_ready(hub: HubSetup, timeout: float = 15.0) -> None:
    """Wait until the hub answers and its stream, photo store and claims exist."""
    async def main() -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                nc = await connect(hub.url(), hub.token(), timeout=1.0)
                break
            except HubUnreachable:
                if time.monotonic() > deadline:
                    raise HubError(_("the hub server did not start; see {file}",
                                     file=hub.data / "nats-server.log")) from None
                await asyncio.sleep(0.1)
        try:
            await ensure_school(nc.jetstream(timeout=5.0))
        finally:
            await nc.close()
    asyncio.run(main())


async def _pull_all(hub: HubSetup, replicas: Replicas) -> dict[str, Any]:
    """Apply every message of the stream to `replicas` (with photos); returns a summary."""
    nc = await connect(hub.url(), hub.token(), timeout=3.0)
    try:
        js = nc.jetstream(timeout=10.0)
        photos, _kv = await ensure_school(js)
        replicas.photos = photos
        info = await js.stream_info(STREAM)
        last = info.state.last_seq
        start = replicas.stream_seq() + 1
        if last >= start:
            sub = await js.pull_subscribe(SUBJECTS, stream=STREAM, config=_config(start))
            done = start - 1
            while done < last:
                msgs = await sub.fetch(500, timeout=5.0)
                batch = [(m.subject, m.data, m.metadata.sequence.stream) for m in msgs]
                await replicas.apply(batch)
                done = max(done, *(b[2] for b in batch))
            await sub.unsubscribe()
        return {"messages": last, "stations": sorted(p.name for p in replicas.root.iterdir()
                                                     if (p / JOURNAL_FILE).is_file())}
    finally:
        await nc.close()


def _config(start: int) -> Any:
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
    return ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start,
                          ack_policy=AckPolicy.NONE, inactive_threshold=30.0)


def build_workspaces(hub: HubSetup, target: Path) -> list[Path]:
    """One replica workspace per station under `target`, rebuilt from the hub's stream and photos."""
    replicas = Replicas(target)
    try:
        try:
            asyncio.run(_pull_all(hub, replicas))
        except HubUnreachable:      # the hub is not running: read its folder with a server of our own
            from station.hub.server import Supervisor
            supervisor = Supervisor(hub)
            supervisor.start_process()
            try:
                wait_ready(hub)
                asyncio.run(_pull_all(hub, replicas))
            finally:
                supervisor.stop()
    finally:
        replicas.close()
    return sorted(p for p in target.iterdir() if (p / JOURNAL_FILE).is_file() and (p / "station.toml").is_file())


class DayCopy:
    """A fresh replica of the day in a private temp folder (report/export write notes into their sources;
    those never reach the hub's own data). Use as a context manager."""

    def __init__(self, hub: HubSetup) -> None:
        self.hub = hub
        self.folder = Path(tempfile.mkdtemp(prefix="station-hub-"))

    def __enter__(self) -> list[Path]:
        return build_workspaces(self.hub, self.folder)

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
