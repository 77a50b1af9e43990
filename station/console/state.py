"""What the console's routes read: the runtime's snapshot, the read model's queries, images, live view, export.

Everything a page shows is built here from those sources, with personal data masked the one way the station
masks it (station.core.idnumber); the routes only serialise it. Rules and times are not the console's: the day
figures are the session's (station.session.day_figures), on the station's clock (`clock`, the read model's). The read model has its own SQLite connection
(WAL: it reads while the runtime's worker writes) guarded by a lock, because Starlette serves from a pool.
"""
from __future__ import annotations

import json
import logging
import shutil
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from config.formats import FormatPreset
from config.i18n import bilingual
from station.console.hub import Hub
from station.console.images import TakeImages
from station.console.live import LiveFrame, LiveView, live_status
from station.console.security import Pairing
from station.core.idnumber import mask_code
from station.store.clock import Clock

log = logging.getLogger(__name__)



class ConsoleState:
    """The console's view of one station: built once by `station console`, shared by every route."""

    def __init__(self, runtime: Any, *, workspace: Path, read_model: Any, preset: FormatPreset,
                 pairing: Pairing, live: LiveView | None = None, export_root: Path | None = None,
                 clock: Clock | None = None) -> None:
        self.runtime = runtime
        self.workspace = workspace
        self.read = read_model
        self.clock: Clock = clock or read_model.clock     # the station's clock: the console reads no clock of its own
        self.preset = preset
        self.pairing = pairing
        self.live = live
        self.hub = Hub()
        self.export_root = export_root or workspace / "exports"
        self._lock = threading.RLock()
        self.images = TakeImages(workspace, preset, self._query, self._lock)    # the pictures pages show
        self._export: dict[str, Any] = {"running": False}

    # ------------------------------------------------------------------ runtime
    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` after every state change (the runtime's worker thread calls it)."""
        return self.runtime.subscribe(lambda *args, **kw: callback())

    def snapshot(self) -> dict[str, Any]:
        return self.runtime.snapshot().to_dict()

    def header(self) -> dict[str, Any]:
        """The line on top of every page: station, room, college now, camera, battery, disk left."""
        snap = self.snapshot()
        camera = snap.get("camera") or {}
        try:
            free = shutil.disk_usage(self.workspace).free
        except OSError:
            free = None
        return {"station": snap.get("station_id"), "room": snap.get("room"), "college": snap.get("college"),
                "operator": snap.get("operator"), "camera_ok": camera.get("ok"), "camera_text": camera.get("error"),
                "camera_spec": camera.get("spec"), "camera_model": camera.get("model"),
                "battery": camera.get("battery"),
                "disk_free_gb": round(free / 1e9, 1) if free is not None else None}

    def state_json(self) -> dict[str, Any]:
        """What every page gets pushed: the snapshot, the header, live view's state and the export's."""
        with self._lock:
            export = dict(self._export)
        return {"snapshot": self.snapshot(), "header": self.header(), "live": self.live_status(),
                "export": export}

    def pairing_view(self, who: Any) -> dict[str, Any]:
        """Pairing as a page shows it: the devices (every paired page), and for the station's own browser the
        PIN, the address to pair at and whether pairing is locked."""
        view: dict[str, Any] = {**self.pairing.status(), "devices": self.pairing.devices(),
                                "you": who.device, "station": who.station}
        if who.station:
            view["pin"] = self.pairing.pin
            view["pair_urls"] = list(self.pair_urls)
        return view

    pair_urls: tuple[str, ...] = ()       # where another device opens /pair (set by the server at start)

    def state_json_text(self) -> str:
        return json.dumps(self.state_json(), ensure_ascii=False, default=str)

    def outcome_dict(self, outcome: Any) -> Any:
        """An action's outcome as JSON (the runtime's Outcome has to_dict; anything else is shown as text)."""
        if outcome is None:
            return None
        to_dict = getattr(outcome, "to_dict", None)
        if to_dict is not None:
            return to_dict()
        try:
            return asdict(outcome)
        except TypeError:
            return str(outcome)

    def geometry(self) -> dict[str, Any]:
        """The format's output size and bands, for the guides the page draws over the finished photo."""
        f, g = self.preset.file, self.preset.geometry
        return {"width": f.width, "height": f.height, "centre_x": g.centre_x,
                "crown_y": [g.crown_y.min, g.crown_y.max], "eye_y": [g.eye_y.min, g.eye_y.max],
                "face_width": [g.face_width.min, g.face_width.max]}

    # ------------------------------------------------------------------ read model
    def _query(self, fn: Callable[[Any], Any]) -> Any:
        with self._lock:
            return fn(self.read)

    def code_of(self, subject_id: int) -> str | None:
        """The code a rebind names a student by (server-side only: it may be an ID number)."""
        try:
            return self._query(lambda r: r.subject(subject_id).code)
        except Exception:  # noqa: BLE001 - unknown id: the action is refused by its missing code
            return None

    def search_roster(self, text: str) -> list[dict[str, Any]]:
        found = self._query(lambda r: r.search_subjects(text, limit=20))
        return [_public(s) for s in found]

    def student(self, subject_id: int) -> dict[str, Any] | None:
        """One student for the desk: masked, with today's shooting number and place in the queue."""
        def read(r: Any) -> dict[str, Any] | None:
            try:
                subject = r.subject(subject_id)
            except Exception:  # noqa: BLE001 - unknown id
                return None
            queue = r.queue_ids()
            return {**_public(subject), "shoot_no": r.shoot_no_today(subject_id),
                    "place": queue.index(subject_id) + 1 if subject_id in queue else None}
        return self._query(read)

    def review(self) -> dict[str, Any]:
        """Rejected, undecided, unshot and skipped students by college and class, with their last take."""
        from station.session.actions import review
        data, latest = self._query(lambda r: (review(r), r.latest_take_ids()))
        ids = self._query(lambda r: {s.code: s.id for s in r.subjects()})
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in data["students"]:
            subject_id = ids.get(row["code"])
            entry = {"subject": subject_id, "code": mask_code(row["code"]), "student_no": row["student_no"],
                     "name": row["name"], "id_number": row["id_number"], "status": row["status"],
                     "shoot_no": row["shoot_no"], "takes": row["takes"], "reason": row["reason"],
                     "bound": row["bound"], "take": latest.get(subject_id) if subject_id else None}
            groups.setdefault((row["college"], row["class"]), []).append(entry)
        return {"groups": [{"college": c, "class": k, "students": rows} for (c, k), rows in groups.items()],
                "counts": data["counts"], "unbound": data["unbound_takes"]}

    def day(self) -> dict[str, Any]:
        """Progress per college against the schedule (station.session.day_figures), at the station clock's time."""
        from station.session.day_figures import day_figures
        return self._query(lambda r: day_figures(r, self.clock))

    # ------------------------------------------------------------------ live view
    def live_frame(self, after: int) -> LiveFrame | None:
        return self.live.next_frame(after) if self.live is not None else None

    def live_status(self) -> dict[str, Any]:
        return live_status(self.live)

    # ------------------------------------------------------------------ export
    def start_export(self, name: str | None) -> dict[str, Any]:
        """Export every accepted photo into WORKSPACE/exports/NAME on a thread; progress is pushed to pages.

        The folder is always under the workspace's exports/: a device on the LAN cannot write elsewhere."""
        from station.core.errors import SessionError
        from station.session.export_folder import export_folder_name
        safe = export_folder_name(name, self.clock)
        if not safe:
            raise SessionError(bilingual("give the export folder a name of letters and digits"))
        with self._lock:
            if self._export.get("running"):
                raise SessionError(bilingual("an export is already running"))
            self._export = {"running": True, "stage": "", "done": 0, "total": 0, "folder": f"exports/{safe}",
                            "ok": None, "message": ""}
        threading.Thread(target=self._export_run, args=(self.export_root / safe,), name="console-export",
                         daemon=True).start()
        self._push()
        return dict(self._export)

    def _export_run(self, outdir: Path) -> None:
        from station.outputs.export import ExportOptions, run_export
        state = self

        class PageProgress:
            """The export's Progress protocol, pushed to every page (at most every 2 %)."""

            def start(self, label: str, total: int) -> None:
                with state._lock:
                    state._export.update(stage=label, done=0, total=total)
                state._push()

            def advance(self, n: int = 1) -> None:
                with state._lock:
                    e = state._export
                    e["done"] += n
                    step = max(1, e["total"] // 50)
                    due = e["done"] % step == 0 or e["done"] >= e["total"]
                if due:
                    state._push()
        try:
            result = run_export(outdir, [self.workspace], ExportOptions(), PageProgress())
            ok, exported = result.ok, result.exported
            message = bilingual("Export finished") if ok else bilingual("Export refused")
            problems = result.problems()
            if problems:   # the lines name students by code: the page gives the count, `station export` the list
                message += " — " + bilingual("{n} problems: run station export to see them", n=len(problems))
        except Exception as exc:  # noqa: BLE001 - shown on the day page, the journal is untouched
            log.exception("console export failed")
            ok, exported, message = False, 0, f"{bilingual('Export refused')}: {exc}"
        with self._lock:
            self._export.update(running=False, ok=ok, message=message, exported=exported)
        self._push()

    def _push(self) -> None:
        self.hub.publish("state", self.state_json())


def _public(subject: Any) -> dict[str, Any]:
    """A student as a page may show them: masked ID number, masked code, the subject id to act on."""
    return {"subject": subject.id, "code": mask_code(subject.code), "name": subject.name,
            "student_no": subject.student_no, "id_number": subject.masked_id or None,
            "college": subject.college, "class": subject.class_name, "paid": subject.paid}
