"""The hot-folder backend: frames written by another tethering program (Windows stations, vendor software).

watchdog reports paths; the controller's thread decides when a file is complete: its size and mtime have
stayed the same for `stable_seconds` AND it decodes (JPEG ends with FFD9 and passes Pillow's verify; RAW opens
with rawpy). A file that stays undecodable for `corrupt_after` seconds is reported once and skipped. The
ledger (in state_dir) makes sure no file is ingested twice, also across restarts; a file is recorded when it
is handed to the caller, so a crash before that re-offers it instead of losing it.
"""
from __future__ import annotations

import hashlib
import io
import logging
import queue
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from camera.errors import CameraError, CameraTimeout
from camera.frame import Frame, Health, jpeg_first, kind_of
from camera.ledger import IngestLedger

log = logging.getLogger(__name__)

RESCAN_SECONDS = 5.0   # safety net for missed events (network shares)


@dataclass
class _Candidate:
    size: int
    mtime_ns: int
    stable_since: float


@dataclass(frozen=True)
class _Taken:
    path: Path
    key: str
    sha256: str


class HotFolderBackend:
    """Watches one folder; `pump()` returns the files that became complete since the last call."""

    has_trigger = False

    def __init__(self, folder: Path, *, state_dir: Path | None = None, move_to: Path | None = None,
                 stable_seconds: float = 0.1, corrupt_after: float = 2.0) -> None:
        self.folder = Path(folder)
        self.move_to = Path(move_to) if move_to else None
        self.stable_seconds = stable_seconds
        self.corrupt_after = corrupt_after
        self.ledger = IngestLedger(state_dir)
        self.emit: Callable[[list[Frame]], None] = lambda frames: None
        self.warn: Callable[[str], None] = lambda message: log.warning("%s", message)
        self.model = "hotfolder"
        self.serial = str(self.folder)
        self._events: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self._candidates: dict[Path, _Candidate] = {}
        self._taken: dict[int, _Taken] = {}
        self._offered: set[str] = set()   # keys handed to the inbox but not yet delivered
        self._observer = None
        self._last_scan = 0.0

    @property
    def connected(self) -> bool:
        return self._observer is not None

    def connect(self) -> None:
        if not self.folder.is_dir():
            raise CameraError(f"hot folder {self.folder} does not exist",
                              hint="create it, or point the tethering program and --camera hotfolder:DIR at one folder")
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        events = self._events

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:  # type: ignore[no-untyped-def]
                if event.is_directory:
                    return
                path = getattr(event, "dest_path", "") or event.src_path
                events.put(Path(path if isinstance(path, str) else path.decode()))

        observer = Observer()
        observer.schedule(Handler(), str(self.folder), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._rescan()

    def close(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def capture(self, deadline: float) -> list[Frame]:  # pragma: no cover - the controller waits on its inbox
        raise CameraTimeout("a hot folder has no trigger: wait for the next file instead")

    def probe(self) -> Health:
        if not self.folder.is_dir():
            raise CameraError(f"hot folder {self.folder} has disappeared", hint="reconnect the drive or share")
        if self._observer is None or not self._observer.is_alive():
            self.close()
            self.connect()
        return Health(ok=True, model=self.model, serial=self.serial, battery=None,
                      message=f"watching {self.folder}")

    def get_settings(self) -> dict[str, str]:
        return {}

    def set_setting(self, name: str, value: str) -> None:
        raise CameraError("a hot folder has no camera settings", hint="set them in the tethering program")

    # -- ingest -------------------------------------------------------------------------------------------
    def _rescan(self) -> None:
        self._last_scan = time.monotonic()
        for path in self.folder.rglob("*"):
            self._events.put(path)

    def _wanted(self, path: Path) -> bool:
        if kind_of(path.name) is None or path.name.startswith("."):
            return False
        if self.move_to is not None and self.move_to in path.parents:
            return False
        return True

    def pump(self) -> list[Frame]:
        """Update candidates from events and return the ones that became complete."""
        now = time.monotonic()
        if now - self._last_scan >= RESCAN_SECONDS:
            self._rescan()
        while True:
            try:
                path = self._events.get_nowait()
            except queue.Empty:
                break
            if self._wanted(path) and path not in self._candidates:
                self._candidates[path] = _Candidate(size=-1, mtime_ns=-1, stable_since=now)
        frames: list[Frame] = []
        for path in list(self._candidates):
            frame = self._consider(path, now)
            if frame is not None:
                frames.append(frame)
        return jpeg_first(frames)

    def _consider(self, path: Path, now: float) -> Frame | None:
        cand = self._candidates[path]
        try:
            st = path.stat()
        except OSError:
            del self._candidates[path]   # removed or renamed away; a rename shows up as its own event
            return None
        if (st.st_size, st.st_mtime_ns) != (cand.size, cand.mtime_ns):
            cand.size, cand.mtime_ns, cand.stable_since = st.st_size, st.st_mtime_ns, now
            return None
        stable_for = now - cand.stable_since
        if stable_for < self.stable_seconds or st.st_size == 0 and stable_for < self.corrupt_after:
            return None
        key = f"{path.relative_to(self.folder).as_posix()}|{st.st_size}|{st.st_mtime_ns}"
        if self.ledger.has_key(key) or key in self._offered:
            del self._candidates[path]
            return None
        try:
            data = path.read_bytes()
        except OSError as exc:
            log.info("cannot read %s yet: %s", path, exc)   # e.g. still locked by the writer
            return None
        kind = kind_of(path.name) or "jpeg"
        problem = _decode_problem(data, kind)
        if problem is not None:
            if stable_for >= self.corrupt_after:
                del self._candidates[path]
                self.ledger.record(key, status="corrupt", name=path.name)
                self.warn(f"hot folder: skipped {path.name}: not a readable {kind.upper()} file ({problem})")
            return None
        del self._candidates[path]
        sha = hashlib.sha256(data).hexdigest()
        if self.ledger.has_content(sha):
            log.info("hot folder: %s has the same content as a file already ingested; skipped", path.name)
            self.ledger.record(key, status="duplicate", sha256=sha, name=path.name)
            return None
        model, serial = _exif_identity(data) if kind == "jpeg" else ("", "")
        frame = Frame(data=data, name=path.name,
                      captured_at=datetime.fromtimestamp(st.st_mtime_ns / 1e9).astimezone(),
                      model=model or self.model, serial=serial or self.serial, kind=kind, source="hotfolder")
        self._taken[id(frame)] = _Taken(path=path, key=key, sha256=sha)
        self._offered.add(key)
        return frame

    def delivered(self, frames: list[Frame]) -> None:
        """The caller has the frames: record them for good and move the sources if configured."""
        for frame in frames:
            taken = self._taken.pop(id(frame), None)
            if taken is None:
                continue
            self.ledger.record(taken.key, status="ingested", sha256=taken.sha256, name=frame.name)
            self._offered.discard(taken.key)
            if self.move_to is not None:
                _move(taken.path, self.move_to)


def _decode_problem(data: bytes, kind: str) -> str | None:
    """Why `data` is not (yet) a complete picture, or None when it decodes."""
    if kind == "jpeg":
        if not data.startswith(b"\xff\xd8"):
            return "no JPEG start marker"
        if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
            return "no JPEG end marker (incomplete?)"
        from PIL import Image
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.verify()
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types for bad data
            return f"Pillow: {exc}"
        return None
    import rawpy
    try:
        with rawpy.imread(io.BytesIO(data)) as raw:
            _ = raw.raw_image   # unpacks the sensor data: opening alone only reads the header
    except Exception as exc:  # noqa: BLE001 - LibRaw errors vary
        return f"rawpy: {exc}"
    return None


def _exif_identity(data: bytes) -> tuple[str, str]:
    """Camera model and body serial from a JPEG's EXIF, when present."""
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            model = str(exif.get(0x0110, "")).strip("\0 ")
            serial = str(exif.get_ifd(0x8769).get(0xA431, "")).strip("\0 ")
            return model, serial
    except Exception:  # noqa: BLE001 - EXIF is a nicety, never a reason to refuse a frame
        return "", ""


def _move(path: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():   # never overwrite: the tethering program's counter may have reset
        target = folder / f"{path.stem}-{n}{path.suffix}"
        n += 1
    try:
        shutil.move(str(path), str(target))
    except OSError as exc:
        log.warning("could not move %s to %s: %s", path, folder, exc)
