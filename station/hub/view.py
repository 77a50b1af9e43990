"""The hub's view of the day: every station's journal and photos, rebuilt from the stream and the object store
into one replica workspace per station, which report and export read with the same merge as `--from`.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from nats.js.errors import NotFoundError

from config.i18n import _
from station.hub.connect import HubUnreachable, connect
from station.hub.replicas import Replicas
from station.hub.replicator import ensure_school
from station.hub.server import PHOTOS, STREAM, SUBJECTS, HubError, HubSetup
from station.store.durable import make_private_dirs
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


PHOTO_CACHE = "photo-cache"


async def _cache_photos(js: Any, cache: Path) -> int:
    """Every finished photo of the object store into `cache/<sha256>`, read in bulk from the store's stream
    (chunks, then the meta that names them); photos already cached are read again only as stream messages."""
    make_private_dirs(cache)
    marker = cache / ".seq"
    start = int(marker.read_text()) + 1 if marker.is_file() else 1
    try:
        info = await js.stream_info(f"OBJ_{PHOTOS}")
    except NotFoundError:
        return 0
    last = info.state.last_seq
    if last < start:
        return 0
    sub = await js.pull_subscribe(f"$O.{PHOTOS}.>", stream=f"OBJ_{PHOTOS}", config=_config(start))
    parts: dict[str, list[bytes]] = {}
    got = 0
    done = start - 1
    while done < last:
        for msg in await sub.fetch(200, timeout=5.0):
            done = max(done, msg.metadata.sequence.stream)
            _o, _bucket, kind, rest = msg.subject.split(".", 3)      # $O.PHOTOS.C.<nuid> / $O.PHOTOS.M.<name>
            if kind == "C":
                parts.setdefault(rest, []).append(msg.data)
            elif kind == "M" and msg.data:
                meta = json.loads(msg.data)
                data = b"".join(parts.pop(meta.get("nuid", ""), []))
                name = meta.get("name", "")
                if data and hashlib.sha256(data).hexdigest() == name and not (cache / name).is_file():
                    _write_cached(cache / name, data)
                    got += 1
    await sub.unsubscribe()
    write_new_or_replace(marker, str(done).encode())
    return got


def _write_cached(path: Path, data: bytes) -> None:
    """A cache file (the hub's stream is the truth: no fsync, a crash only costs a re-read), 0600."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def write_new_or_replace(path: Path, data: bytes) -> None:
    from station.hub.link import write_atomic
    write_atomic(path, data)


async def _pull_all(hub: HubSetup, replicas: Replicas) -> dict[str, Any]:
    """Apply every message of the stream to `replicas` (with photos); returns a summary."""
    nc = await connect(hub.url(), hub.token(), timeout=3.0)
    try:
        js = nc.jetstream(timeout=10.0)
        photos, _kv = await ensure_school(js)
        replicas.photos = photos
        replicas.cache = hub.data / PHOTO_CACHE
        await _cache_photos(js, replicas.cache)
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
        # inside the hub's folder: photos are hard links to its cache (same disk), and it stays owner-only
        self.folder = Path(tempfile.mkdtemp(prefix=".day-", dir=hub.data))

    def __enter__(self) -> list[Path]:
        return build_workspaces(self.hub, self.folder)

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
