"""The hub's day page: every station's progress as the hub sees it, live (served by `station hub start`).

A thread keeps one read-only replica per station in the hub's folder (`live/`, no photos) from the stream; the
figures come from the same multi-workspace merge as report and export (one person, one college, one status
across rooms), plus per station: events, accepted, students per hour, its last event and the lag between that
event's journal write and its arrival at the hub. The page reloads its figures every few seconds.
"""
from __future__ import annotations

import asyncio
import html
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from config.i18n import _
from station.hub.connect import connect
from station.hub.replicas import Replicas
from station.hub.server import STREAM, SUBJECTS, HubSetup
from station.store.models import NO_COLLEGE
from station.store.workspace import JOURNAL_FILE

LIVE = "live"
RATE_MIN_HOURS = 0.25


class LiveDay:
    """The stream applied to `DATA/live/<station>/` as it arrives, with each station's arrival lag."""

    def __init__(self, hub: HubSetup) -> None:
        self.hub = hub
        self.replicas = Replicas(hub.data / LIVE)
        self.lag: dict[str, float] = {}
        self.arrived: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="hub-live", daemon=True)

    def start(self) -> "LiveDay":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    async def _main(self) -> None:
        from nats.js.api import ConsumerConfig, DeliverPolicy
        while not self._stop.is_set():
            try:
                nc = await connect(self.hub.url(), self.hub.token(), timeout=2.0)
            except Exception:       # noqa: BLE001 - the server is (re)starting: try again
                await asyncio.sleep(1.0)
                continue
            queue: asyncio.Queue[Any] = asyncio.Queue()

            async def seen(msg: Any) -> None:
                await queue.put(msg)
            try:
                js = nc.jetstream(timeout=5.0)
                start = self.replicas.stream_seq() + 1
                sub = await js.subscribe(SUBJECTS, cb=seen, ordered_consumer=True, stream=STREAM,
                                         config=ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                                                               opt_start_seq=start))
                while not self._stop.is_set() and nc.is_connected:
                    try:
                        first = await asyncio.wait_for(queue.get(), 0.5)
                    except asyncio.TimeoutError:
                        continue
                    batch = [first]
                    while not queue.empty() and len(batch) < 500:
                        batch.append(queue.get_nowait())
                    self._note_lag(batch)
                    await self.replicas.apply([(m.subject, m.data, m.metadata.sequence.stream) for m in batch])
                await sub.unsubscribe()
            except Exception:       # noqa: BLE001 - a lost connection: start over from the replicas
                await asyncio.sleep(0.5)
            finally:
                try:
                    await nc.close()
                except Exception:   # noqa: BLE001
                    pass
        self.replicas.close()

    def _note_lag(self, batch: list[Any]) -> None:
        import json
        for msg in batch:
            parts = msg.subject.split(".")
            if len(parts) != 3 or parts[1] != "ev":
                continue
            ts = json.loads(msg.data)["event"]["ts"]
            arrived = msg.metadata.timestamp.timestamp() if msg.metadata.timestamp else time.time()
            self.lag[parts[2]] = max(0.0, arrived - datetime.fromisoformat(ts).timestamp())
            self.arrived[parts[2]] = arrived

    def figures(self) -> dict[str, Any]:
        """Per college (merged across stations) and per station, as plain data for the page and its API."""
        from station.outputs.merge import gather, open_sources
        from station.store.queries import ReadModel
        root = self.hub.data / LIVE
        folders = sorted(p for p in root.iterdir() if (p / JOURNAL_FILE).is_file()
                         and (p / "station.toml").is_file()) if root.is_dir() else []
        colleges: dict[str, dict[str, int]] = {}
        if folders:
            for person in gather(open_sources(folders)):
                college = person.display().college or NO_COLLEGE
                row = colleges.setdefault(college, {"roster": 0, "checked_in": 0, "accepted": 0})
                row["roster"] += person.in_roster
                row["checked_in"] += person.checked_in
                row["accepted"] += person.status == "accepted"
        stations = []
        for folder in folders:
            with ReadModel.open(folder) as journal:
                accepted = journal.accepted_takes()
                last_id = journal.latest_event_id()
            stamps = sorted(datetime.fromisoformat(a.accepted_at) for a in accepted)
            hours = (stamps[-1] - stamps[0]).total_seconds() / 3600 if len(stamps) > 1 else 0.0
            last = self.replicas.last.get(folder.name)
            stations.append({"station": folder.name, "events": last_id, "accepted": len(stamps),
                             "per_hour": round((len(stamps) - 1) / hours, 1) if hours >= RATE_MIN_HOURS else None,
                             "last_event": last["ts"] if last else None,
                             "lag_s": round(self.lag[folder.name], 2) if folder.name in self.lag else None})
        return {"colleges": [{"college": k, **v} for k, v in sorted(colleges.items())], "stations": stations,
                "now": datetime.now().astimezone().isoformat(timespec="seconds")}


def render(figures: dict[str, Any]) -> str:
    """The page: two tables, reloaded every 5 s."""
    def cell(value: Any) -> str:
        return html.escape("–" if value is None else str(value))
    college_rows = "".join(
        f"<tr><td>{cell(c['college'])}</td><td>{c['roster']}</td><td>{c['checked_in']}</td><td>{c['accepted']}</td>"
        f"<td><progress max='{max(c['roster'], 1)}' value='{c['accepted']}'></progress></td></tr>"
        for c in figures["colleges"])
    t = {k: cell(v) for k, v in {
        "title": _("The school's day"),
        "colleges": _('Colleges'),
        "stations": _('Stations'),
        "college": _('college'),
        "roster": _('roster'),
        "checked_in": _('checked in'),
        "accepted": _('accepted'),
        "station": _('station'),
        "events": _('events'),
        "per_hour": _('students/hour'),
        "last_event": _('last event'),
        "lag": _('lag (s)'),
    }.items()}
    station_rows = "".join(
        f"<tr><td>{cell(s['station'])}</td><td>{s['events']}</td><td>{s['accepted']}</td><td>{cell(s['per_hour'])}"
        f"</td><td>{cell(s['last_event'])}</td><td>{cell(s['lag_s'])}</td></tr>" for s in figures["stations"])
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>{t["title"]}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:2em}}
td,th{{border:1px solid #ccc;padding:.3em .8em;text-align:right}}td:first-child,th:first-child{{text-align:left}}</style>
</head><body><h1>{t["title"]}</h1><p>{cell(figures["now"])}</p>
<h2>{t["colleges"]}</h2><table id="colleges"><tr><th>{t["college"]}</th><th>{t["roster"]}</th>
<th>{t["checked_in"]}</th><th>{t["accepted"]}</th><th></th></tr>{college_rows}</table>
<h2>{t["stations"]}</h2><table id="stations"><tr><th>{t["station"]}</th><th>{t["events"]}</th>
<th>{t["accepted"]}</th><th>{t["per_hour"]}</th><th>{t["last_event"]}</th>
<th>{t["lag"]}</th></tr>{station_rows}</table></body></html>"""


class PageServer:
    """uvicorn on a thread with the page and its JSON (127.0.0.1 only: the coordinator's laptop)."""

    def __init__(self, hub: HubSetup, port: int) -> None:
        self.live = LiveDay(hub).start()
        self.port = port
        self.server: Any = None
        self.thread: threading.Thread | None = None

    def start(self) -> "PageServer":
        import uvicorn
        from starlette.applications import Starlette
        from starlette.responses import HTMLResponse, JSONResponse
        from starlette.routing import Route

        async def page(_request: Any) -> HTMLResponse:
            return HTMLResponse(render(await asyncio.to_thread(self.live.figures)))

        async def api(_request: Any) -> JSONResponse:
            return JSONResponse(await asyncio.to_thread(self.live.figures))
        app = Starlette(routes=[Route("/", page), Route("/api/day", api)])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="hub-page", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"the hub page could not listen on 127.0.0.1:{self.port}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(10)
        self.live.stop()


def serve_page(hub: HubSetup, port: int) -> PageServer:
    return PageServer(hub, port).start()


__all__ = ["LiveDay", "PageServer", "render", "serve_page", "Path"]
