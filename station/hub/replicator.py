"""The replicator: this station's journal to the hub, the other stations' journals from it.

Outgoing: every journal event, in id order, to `school.ev.<station>` with `Nats-Msg-Id = <station>:<id>`
(JetStream drops a second copy inside the stream's duplicate window), the roster's subjects to
`school.subj.<station>`, the station's settings to `school.meta.<station>`, and every finished photo to the
object store under its sha256 before the verdict that names it. The cursor of acknowledged events is written
durably only after the acks, so a crash re-sends (deduplicated) and never skips.

Incoming: an ordered consumer over the whole stream applies the other stations' messages to one read-only
replica per station (station/store/replica.py), which the multi-workspace merge reads like a copied workspace.

The station never waits for the hub: the replicator runs on its own thread and event loop, reads the journal
through its own read-only connection, and with the hub away it only counts what is waiting.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from nats.errors import Error as NatsError
from nats.js.api import ConsumerConfig, DeliverPolicy, ObjectStoreConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError, KeyWrongLastSequenceError, NotFoundError, ObjectNotFoundError

from config.faults import fault_point
from config.i18n import N_, _
from config.settings import SETTINGS_FILE, load_settings
from pipeline.result import Verdict
from station.core.errors import DomainError
from station.hub import link as links
from station.hub.connect import HubUnreachable, connect
from station.hub.replicas import Replicas
from station.hub.server import PHOTOS, STATIONS, STREAM, SUBJECTS
from station.hub.token import TokenError
from station.store import replica
from station.store.workspace import JOURNAL_FILE

log = logging.getLogger(__name__)

BATCH = 256
#: photo uploads in flight at once during a catch-up (the hub fsyncs each; more in flight, fewer waits)
PHOTO_STREAMS = 16
SUBJECT_CHUNK = 400
SUBJECTS_EVERY_S = 2.0
#: JetStream's answer to an atomic batch holding a message id the stream already has
DUPLICATE_IN_BATCH = 10201
DUPLICATE_WINDOW_S = 7 * 86400.0


async def ensure_school(js: Any) -> tuple[Any, Any]:
    """The school's stream, photo store and station claims (created by whoever comes first; idempotent)."""
    try:
        info = await js.stream_info(STREAM)
        if not info.config.allow_atomic:        # a hub made before atomic batches: allow them now
            await js.update_stream(StreamConfig(**{**info.config.as_dict(), "allow_atomic": True}))
    except NotFoundError:
        await js.add_stream(StreamConfig(name=STREAM, subjects=[SUBJECTS], storage=StorageType.FILE,
                                         duplicate_window=DUPLICATE_WINDOW_S, max_msg_size=1 << 20,
                                         allow_atomic=True))
    try:
        store = await js.object_store(PHOTOS)
    except (NotFoundError, NatsError):
        store = await js.create_object_store(PHOTOS, config=ObjectStoreConfig(bucket=PHOTOS,
                                                                               storage=StorageType.FILE))
    try:
        kv = await js.key_value(STATIONS)
    except (NotFoundError, NatsError):
        kv = await js.create_key_value(bucket=STATIONS, history=1)
    return store, kv


class Replicator:
    """Replicates one joined workspace until stopped; the state it sees goes to `state/hub-status.json`."""

    def __init__(self, workspace: Path, *, poll_s: float = 0.1, consume: bool = True,
                 on_state: Callable[[str, str], None] | None = None) -> None:
        self.workspace = workspace
        self.link = links.load_link(workspace)
        if self.link is None:
            raise links.NotJoined(_("this workspace has not joined a hub"), hint="station hub join URL --token TOKEN")
        self.poll_s = poll_s
        self.consume = consume
        self.on_state = on_state
        self.state = "starting"
        self.problem = ""
        self.cursor = links.read_cursor(workspace)
        self._reader = replica.open_reader(workspace / JOURNAL_FILE)
        self.replicas = Replicas(self.link.replicas, skip=self.link.station_id)
        self._written: tuple[int, float] = (-1, 0.0)
        self._subjects_due = 0.0

    # ------------------------------------------------------------------ what is waiting
    def waiting(self) -> int:
        return max(0, replica.latest_event_id(self._reader) - int(self.cursor.get("acked", 0)))

    def _set_state(self, state: str, problem: str = "") -> None:
        changed = (state, problem) != (self.state, self.problem)
        self.state, self.problem = state, problem
        waiting = self.waiting()
        now = time.monotonic()
        if not changed and waiting == self._written[0] and now - self._written[1] < 1.0:
            return      # the same news: the file is rewritten once a second (it says the replicator lives)
        self._written = (waiting, now)
        try:
            links.write_status(self.workspace, state, waiting=waiting, problem=problem,
                               others={k: {"id": v["id"], "ts": v["ts"]} for k, v in self.replicas.last.items()})
        except OSError as exc:
            log.warning("hub status not written: %s", exc)
        if changed and self.on_state is not None:
            self.on_state(state, problem)

    # ------------------------------------------------------------------ the loop
    async def run(self, stop: asyncio.Event) -> None:
        """Connect, replicate, and on any failure wait and try again, until `stop` is set."""
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._session(stop)
                backoff = 0.5
            except TokenError as exc:
                self._set_state("refused", str(exc))
                backoff = 30.0
            except (HubUnreachable, NatsError, OSError, asyncio.TimeoutError) as exc:
                self._set_state("unreachable", str(exc) or type(exc).__name__)
                backoff = min(backoff * 2, 5.0)
            except DomainError as exc:
                self._set_state("refused", str(exc))
                backoff = 30.0
            try:
                await asyncio.wait_for(stop.wait(), backoff)
            except asyncio.TimeoutError:
                pass
        self._set_state("stopped")      # nobody keeps the replicas fresh any more: the scan says it cannot tell
        self.replicas.close()

    async def _session(self, stop: asyncio.Event) -> None:
        nc = await connect(self.link.url, self.link.token)
        try:
            js = nc.jetstream(timeout=5.0)
            photos, kv = await ensure_school(js)
            await self._claim(kv)
            await self._publish_meta(js)
            consumer = await self._start_consumer(js) if self.consume else None
            try:
                while not stop.is_set():
                    if nc.is_closed or not nc.is_connected:
                        raise HubUnreachable(_("the connection to the hub was lost"))
                    try:
                        sent = await self._publish_subjects(js) + await self._publish_events(js, photos)
                    except (NatsError, asyncio.TimeoutError) as exc:
                        # the hub answers but does not store (its disk is full, its stream failed): say so
                        raise HubUnreachable(_("the hub does not accept events ({problem}); its screen says why",
                                               problem=str(exc) or type(exc).__name__)) from exc
                    self._set_state("connected")
                    if not sent:
                        try:
                            await asyncio.wait_for(stop.wait(), self.poll_s)
                        except asyncio.TimeoutError:
                            pass
            finally:
                if consumer is not None:
                    await consumer.unsubscribe()
        finally:
            try:
                await nc.close()
            except Exception:    # noqa: BLE001 - closing a dead connection may fail any way it likes
                pass

    async def _claim(self, kv: Any) -> None:
        """One workspace per station id at the hub: a second workspace with the same id is refused (its events
        would carry the same message ids and be dropped as duplicates)."""
        me = str(self.cursor.get("workspace_id", ""))
        try:
            await kv.create(self.link.station_id, me.encode())
            return
        except KeyWrongLastSequenceError:
            entry = await kv.get(self.link.station_id)
        if entry.value and entry.value.decode() != me:
            raise DomainError(_("station id {station} is already used at the hub by another workspace",
                                station=self.link.station_id),
                              hint=_("give this station its own id in station.toml ([station] id) and join again"))

    async def _publish_meta(self, js: Any) -> None:
        text = (self.workspace / SETTINGS_FILE).read_text("utf-8")
        body = json.dumps({"settings": text, "workspace_id": self.cursor.get("workspace_id", "")}).encode()
        digest = hashlib.sha256(body).hexdigest()[:16]
        await js.publish(f"school.meta.{self.link.station_id}", body,
                         headers={"Nats-Msg-Id": f"{self.link.station_id}:meta:{digest}"})

    async def _publish_subjects(self, js: Any) -> int:
        now = time.monotonic()
        if now < self._subjects_due:
            return 0        # the roster changes seldom: asked every SUBJECTS_EVERY_S, not on every poll
        cursor = tuple(self.cursor.get("subjects", ["", 0]))
        rows = replica.subjects_after(self._reader, (str(cursor[0]), int(cursor[1])), SUBJECT_CHUNK)
        if not rows:
            self._subjects_due = now + SUBJECTS_EVERY_S
            return 0
        last = rows[-1]
        await js.publish(f"school.subj.{self.link.station_id}",
                         json.dumps({"subjects": rows}, ensure_ascii=False).encode(),
                         headers={"Nats-Msg-Id": f"{self.link.station_id}:subj:{last['updated_at']}:{last['id']}"})
        self.cursor["subjects"] = [last["updated_at"], last["id"]]
        links.write_cursor(self.workspace, self.cursor)
        return len(rows)

    async def _publish_events(self, js: Any, photos: Any) -> int:
        after = int(self.cursor.get("acked", 0))
        bodies = replica.outbox(self._reader, after, BATCH)
        if not bodies:
            return 0
        station = self.link.station_id
        done = after
        failure: BaseException | None = None
        try:
            # the photos first, and all of them acknowledged before the batch that names them goes out: a verdict
            # never names a photo the hub lacks. They go PHOTO_STREAMS at a time (each upload is four round
            # trips, two of them an fsync at the hub: one after the other they were two thirds of a catch-up)
            await self._upload_photos(photos, [body["event"] for body in bodies])
            # one atomic batch (stored together, one fsync, one ack: 3x the rate of single acked publishes
            # measured here); a batch holding an id the hub already has (a re-send after a crash) is refused
            # whole, and then goes one message at a time, where the duplicate window drops the copies
            if await self._publish_batch(js, station, bodies):
                done = bodies[-1]["event"]["id"]
        except (NatsError, OSError, asyncio.TimeoutError) as exc:
            failure = exc
        if failure is None and done == after:
            for body in bodies:             # one at a time (in order): the re-send path
                try:
                    await js.publish(f"school.ev.{station}", json.dumps(body, ensure_ascii=False).encode(),
                                     headers={"Nats-Msg-Id": f"{station}:{body['event']['id']}"})
                except (NatsError, OSError, asyncio.TimeoutError) as exc:
                    failure = exc
                    break
                done = body["event"]["id"]
        fault_point("hub.published")     # the hub has them; a kill here re-sends them (dropped as duplicates)
        if done > after:
            self.cursor["acked"] = done
            links.write_cursor(self.workspace, self.cursor)
        if failure is not None:
            raise failure
        return done - after

    async def _publish_batch(self, js: Any, station: str, bodies: list[dict[str, Any]]) -> bool:
        """Publish `bodies` as one JetStream atomic batch (each message keeps its Nats-Msg-Id). False when
        the hub refuses the batch because it already has one of its ids."""
        nc = js._nc
        batch = uuid.uuid4().hex
        for k, body in enumerate(bodies, 1):
            headers = {"Nats-Batch-Id": batch, "Nats-Batch-Sequence": str(k),
                       "Nats-Msg-Id": f"{station}:{body['event']['id']}"}
            payload = json.dumps(body, ensure_ascii=False).encode()
            if k < len(bodies):
                await nc.publish(f"school.ev.{station}", payload, headers=headers)
                continue
            headers["Nats-Batch-Commit"] = "1"
            try:
                await js.publish(f"school.ev.{station}", payload, headers=headers)
            except BadRequestError as exc:      # an id it has (DUPLICATE_IN_BATCH), or no atomic batches
                log.debug("batch refused (%s): one message at a time", getattr(exc, "err_code", None))
                return False
        return True

    async def _upload_photos(self, photos: Any, events: list[dict[str, Any]]) -> None:
        """Every photo these events name, in the object store; PHOTO_STREAMS uploads in flight at once. Raises
        (after the others finished or failed) when one could not be stored: the batch then waits."""
        named: dict[str, str] = {}      # sha256 -> photo; one upload per photo (two at once would race to replace)
        for event in events:
            if event["kind"] == "verdict":
                verdict = Verdict.from_json(json.loads(event["data"] or "{}"))
                if verdict.photo and verdict.photo_sha256:
                    named.setdefault(verdict.photo_sha256, verdict.photo)
        gate = asyncio.Semaphore(PHOTO_STREAMS)

        async def one(sha: str, rel: str) -> None:
            async with gate:
                await self._upload_photo(photos, sha, rel)
        results = await asyncio.gather(*(one(sha, rel) for sha, rel in named.items()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _upload_photo(self, photos: Any, sha: str, rel: str) -> None:
        try:
            await photos.get_info(sha)
            return          # already there (a re-send, or the same photo twice)
        except ObjectNotFoundError:
            pass
        path = self.workspace / rel
        if path.is_file():
            await photos.put(sha, path.read_bytes())

    async def _start_consumer(self, js: Any) -> Any:
        queue: asyncio.Queue[tuple[str, bytes, int]] = asyncio.Queue()

        async def on_message(msg: Any) -> None:
            await queue.put((msg.subject, msg.data, msg.metadata.sequence.stream))

        start = self.replicas.stream_seq() + 1
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start)
        sub = await js.subscribe(SUBJECTS, cb=on_message, ordered_consumer=True, config=config, stream=STREAM)

        async def drain() -> None:
            while True:
                batch = [await queue.get()]
                while not queue.empty() and len(batch) < 500:
                    batch.append(queue.get_nowait())
                try:
                    await self.replicas.apply(batch)
                except Exception:      # noqa: BLE001 - a bad message must not stop the station's own upload
                    log.exception("replica update failed")

        task = asyncio.get_running_loop().create_task(drain())

        class _Consumer:
            async def unsubscribe(self) -> None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):     # noqa: BLE001 - it was told to stop
                    pass
                try:
                    await sub.unsubscribe()
                except Exception:      # noqa: BLE001
                    pass
        return _Consumer()


class ReplicatorThread:
    """The replicator on its own thread and event loop, for `shoot` and `console` (never blocks them)."""

    def __init__(self, workspace: Path, **options: Any) -> None:
        self.replicator = Replicator(workspace, **options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="hub-replicator", daemon=True)

    def _main(self) -> None:
        async def body() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await self.replicator.run(self._stop)
        asyncio.run(body())

    def start(self) -> "ReplicatorThread":
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)


def start_in_background(workspace: Path) -> ReplicatorThread | None:
    """The replicator for a joined workspace, started; None (and nothing started) when it joined no hub."""
    try:
        if links.load_link(workspace) is None:
            return None
        return ReplicatorThread(workspace).start()
    except DomainError as exc:
        log.warning("hub replication not started: %s", exc)
        return None


def describe(workspace: Path, *, probe: bool = True, timeout: float = 1.5) -> dict[str, Any]:
    """`hub: connected, 0 behind` as data: the running replicator's view, else a short probe of the hub."""
    link = links.load_link(workspace)
    if link is None:
        return {"joined": False}
    reader = replica.open_reader(workspace / JOURNAL_FILE)
    try:
        waiting = max(0, replica.latest_event_id(reader) - links.acked(workspace))
    finally:
        reader.close()
    info: dict[str, Any] = {"joined": True, "url": link.url, "station": link.station_id, "waiting": waiting,
                            "running": False, "state": "unknown", "problem": ""}
    status = links.read_status(workspace)
    if status is not None and status.get("state") != "stopped":
        info.update(running=True, state=status["state"], problem=status.get("problem", ""),
                    others=status.get("others", {}))
    elif probe:
        async def _probe() -> None:
            nc = await connect(link.url, link.token, timeout=timeout)
            await nc.close()
        try:
            asyncio.run(_probe())
            info["state"] = "connected"
        except TokenError as exc:
            info.update(state="refused", problem=str(exc))
        except (HubUnreachable, NatsError, OSError, asyncio.TimeoutError) as exc:
            info.update(state="unreachable", problem=str(exc))
    info["others"] = info.get("others") or _replica_summary(link.replicas)
    return info


def _replica_summary(root: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if (p / JOURNAL_FILE).is_file()):
            reader = replica.open_reader(folder / JOURNAL_FILE)
            try:
                last = replica.last_event(reader)
            finally:
                reader.close()
            if last:
                found[folder.name] = {"id": last["id"], "ts": last["ts"]}
    return found


def status_line(info: dict[str, Any]) -> str:
    """One line for `station status` and the screens."""
    text, fields = status_text(info)
    return _(text, **fields)


def screen_status(workspace: Path) -> tuple[str, dict[str, Any]] | None:
    """The screens' hub line (status_text) without a probe: the running replicator's view (None: not joined).
    The front ends that run the replicator give this to the controller (StationController.hub_status)."""
    if not load_settings(workspace).hub.url:
        return None
    return status_text(describe(workspace, probe=False))


def status_text(info: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """status_line's msgid and fields, untranslated: the screens' snapshot says it in both languages."""
    if not info.get("joined"):
        return N_("hub: not joined"), {}
    waiting = info.get("waiting", 0)
    state = info.get("state")
    if state == "connected":
        return N_("hub: connected, {n} behind"), {"n": waiting}
    if state == "refused":
        return N_("hub: refused ({problem}), {n} waiting"), {"problem": info.get("problem", ""), "n": waiting}
    return N_("hub: unreachable, {n} waiting"), {"n": waiting}


def run_forever(workspace: Path, *, stop_after: Callable[[], bool] | None = None,
                on_state: Callable[[str, str], None] | None = None) -> None:
    """`station hub sync`: replicate in the foreground until Ctrl+C (or SIGTERM)."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        replicator = Replicator(workspace, on_state=on_state)
        await replicator.run(stop)
    asyncio.run(main())
    time.sleep(0)
