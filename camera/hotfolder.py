"""The hot-folder backend: frames written by another tethering program (Windows stations, vendor software).

watchdog reports paths; the controller's thread decides when a file is complete: its size and mtime have
stayed the same for `stable_seconds` AND it decodes whole (pipeline.decode.check_intact: the JPEG's structure
to its end marker and a decode that stops on damage; a RAW's sensor data unpacked). A file that stays
undecodable for `corrupt_after` seconds is reported once and skipped.

Only regular files inside the folder are taken: a symlink (to another student's original, to /dev/zero), a
FIFO, a device or a socket is refused from lstat without being opened, every path component is opened with
O_NOFOLLOW (a symlinked sub-folder cannot lead outside), the file itself with O_NONBLOCK and checked again
with fstat, and never more than `max_bytes` are read. A bad file never holds up a good one.

The ledger (in state_dir) makes sure no file is ingested twice, also across restarts. With
`ack_on_delivery=False` a file counts as ingested only once the consumer calls `acknowledge(frames)` after its
take is journalled; a crash before that offers it again on the next start (and says so). The default
(`ack_on_delivery=True`) records it when it is handed over, as before.
"""
from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import queue
import shutil
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from camera.errors import CameraError, CameraTimeout
from camera.frame import Frame, Health, jpeg_first, kind_of
from camera.ledger import HANDED, INGESTED, IngestLedger
from config.faults import fault_point
from config.i18n import _

log = logging.getLogger(__name__)

RESCAN_SECONDS = 5.0   # safety net for missed events (network shares)
DEFAULT_MAX_BYTES = 200 * 1024 * 1024   # a 100 MP RAW is ~120 MB; past this a "frame" is something else
_READ_CHUNK = 1 << 20



class _Changed(Exception):
    """The file changed between lstat and reading it: look again later."""


class _Refused(Exception):
    """The file is not one the hot folder takes (not a regular file inside the folder, too large)."""


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
                 stable_seconds: float = 0.1, corrupt_after: float = 2.0, max_bytes: int = DEFAULT_MAX_BYTES,
                 ack_on_delivery: bool = True) -> None:
        self.folder = Path(folder)
        self.move_to = Path(move_to) if move_to else None
        self.stable_seconds = stable_seconds
        self.corrupt_after = corrupt_after
        self.max_bytes = max_bytes
        self.ack_on_delivery = ack_on_delivery
        self.ledger = IngestLedger(state_dir)
        self.emit: Callable[[list[Frame]], None] = lambda frames: None
        self.warn: Callable[[str], None] = lambda message: log.warning("%s", message)
        self.model = "hotfolder"
        self.serial = str(self.folder)
        self._events: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self._candidates: dict[Path, _Candidate] = {}
        self._taken: dict[int, tuple[Frame, _Taken]] = {}   # the frame is kept so its id() is not reused
        self._offered: set[str] = set()   # keys handed to the inbox and not yet acknowledged
        self._offered_content: set[str] = set()
        self._state = threading.Lock()    # pump runs on the owner thread, delivery and ack on the caller's
        self._pending_reported = False
        self._observer = None
        self._last_scan = 0.0

    @property
    def connected(self) -> bool:
        return self._observer is not None

    def connect(self) -> None:
        if not self.folder.is_dir():
            raise CameraError(_("hot folder {folder} does not exist", folder=self.folder),
                              hint=_("create it, or point the tethering program and --camera hotfolder:DIR at one "
                                     "folder"))
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
        self._report_pending()
        self._rescan()

    def _report_pending(self) -> None:
        """Say which files a previous run handed over without their take being confirmed: offered again."""
        if self._pending_reported:
            return
        self._pending_reported = True
        for entry in self.ledger.pending():
            name = entry.get("name") or entry["key"].split("|", 1)[0]
            rel = entry["key"].split("|", 1)[0]
            if (self.folder / rel).exists():
                self.warn(_("hot folder: {name} was handed over but its take was never confirmed "
                            "(the station stopped?): offered again", name=name))
            else:
                self.warn(_("hot folder: {name} was handed over but its take was never confirmed, "
                            "and the file is no longer in the folder", name=name))

    def close(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def capture(self, deadline: float) -> list[Frame]:  # pragma: no cover - the controller waits on its inbox
        raise CameraTimeout(_("a hot folder has no trigger: wait for the next file instead"))

    def probe(self) -> Health:
        if not self.folder.is_dir():
            raise CameraError(_("hot folder {folder} has disappeared", folder=self.folder), hint=_("reconnect the drive or share"))
        if self._observer is None or not self._observer.is_alive():
            self.close()
            self.connect()
        return Health(ok=True, model=self.model, serial=self.serial, battery=None,
                      message=f"watching {self.folder}")

    def get_settings(self) -> dict[str, str]:
        return {}

    def set_setting(self, name: str, value: str) -> None:
        raise CameraError(_("a hot folder has no camera settings"), hint=_("set them in the tethering program"))

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
            st = os.lstat(path)
        except OSError:
            del self._candidates[path]   # removed or renamed away; a rename shows up as its own event
            return None
        rel = path.relative_to(self.folder).as_posix()
        key = f"{rel}|{st.st_size}|{st.st_mtime_ns}"
        if not stat.S_ISREG(st.st_mode):     # refused from lstat: a FIFO is never opened, a link never followed
            del self._candidates[path]
            self._refuse(key, path.name, _not_regular(st.st_mode))
            return None
        if (st.st_size, st.st_mtime_ns) != (cand.size, cand.mtime_ns):
            cand.size, cand.mtime_ns, cand.stable_since = st.st_size, st.st_mtime_ns, now
            return None
        stable_for = now - cand.stable_since
        if stable_for < self.stable_seconds or st.st_size == 0 and stable_for < self.corrupt_after:
            return None
        with self._state:
            seen = self.ledger.has_key(key) or key in self._offered
        if seen:
            del self._candidates[path]
            return None
        if st.st_size > self.max_bytes:
            del self._candidates[path]
            self._refuse(key, path.name, _("larger than {limit} MB", limit=self.max_bytes // (1024 * 1024)))
            return None
        try:
            data = _read_inside(self.folder, rel, st, self.max_bytes)
        except _Changed:
            cand.size = -1                   # changed under us: wait for it to settle again
            return None
        except _Refused as exc:
            del self._candidates[path]
            self._refuse(key, path.name, str(exc))
            return None
        except OSError as exc:
            log.info("cannot read %s yet: %s", path, exc)   # e.g. still locked by the writer
            return None
        kind = kind_of(path.name) or "jpeg"
        problem, permanent = _decode_problem(data, kind)
        if problem is not None:
            if permanent or stable_for >= self.corrupt_after:
                del self._candidates[path]
                self.ledger.record(key, status="corrupt", name=path.name)
                self.warn(_("hot folder: skipped {name}: not a readable {kind} file ({problem})",
                            name=path.name, kind=kind.upper(), problem=problem))
            return None
        sha = hashlib.sha256(data).hexdigest()
        if self.ledger.has_content(sha):
            del self._candidates[path]
            log.info("hot folder: %s has the same content as a file already ingested; skipped", path.name)
            self.ledger.record(key, status="duplicate", sha256=sha, name=path.name)
            return None
        with self._state:
            if sha in self._offered_content:
                return None   # a copy of a file not yet acknowledged: decided once that one is
            del self._candidates[path]
            model, serial = _exif_identity(data) if kind == "jpeg" else ("", "")
            frame = Frame(data=data, name=path.name,
                          captured_at=datetime.fromtimestamp(st.st_mtime_ns / 1e9).astimezone(),
                          model=model or self.model, serial=serial or self.serial, kind=kind, source="hotfolder")
            self._taken[id(frame)] = (frame, _Taken(path=path, key=key, sha256=sha))
            self._offered.add(key)
            self._offered_content.add(sha)
        return frame

    def _refuse(self, key: str, name: str, why: str) -> None:
        """Never take this file (recorded, so a restart does not report it again)."""
        if self.ledger.has_key(key):
            return
        self.ledger.record(key, status="refused", name=name)
        self.warn(_("hot folder: refused {name}: {why}", name=name, why=why))

    def delivered(self, frames: list[Frame]) -> None:
        """The caller has the frames. With ack_on_delivery they are ingested now; else they wait for
        `acknowledge` (recorded as handed, so a crash before the ack offers them again and says so)."""
        if self.ack_on_delivery:
            self.acknowledge(frames)
            return
        for frame in frames:
            with self._state:
                entry = self._taken.get(id(frame))
            if entry is not None and entry[0] is frame:
                self.ledger.record(entry[1].key, status=HANDED, sha256=entry[1].sha256, name=frame.name)
                fault_point("ingest.handed")

    def acknowledge(self, frames: list[Frame]) -> None:
        """The frames' take is journalled: record them for good and move the sources if configured.
        Frames not from this hot folder (or acknowledged already) are ignored."""
        for frame in frames:
            with self._state:
                entry = self._taken.pop(id(frame), None)
            if entry is None or entry[0] is not frame:
                continue
            taken = entry[1]
            fault_point("ingest.before_ack")
            self.ledger.record(taken.key, status=INGESTED, sha256=taken.sha256, name=frame.name)
            fault_point("ingest.acknowledged")
            with self._state:
                self._offered.discard(taken.key)
                self._offered_content.discard(taken.sha256)
            if self.move_to is not None:
                _move(taken.path, self.move_to)

    def release(self, frames: list[Frame]) -> None:
        """The caller could not store the frames (disk full...): offer their files again."""
        for frame in frames:
            with self._state:
                entry = self._taken.pop(id(frame), None)
                if entry is None or entry[0] is not frame:
                    continue
                self._offered.discard(entry[1].key)
                self._offered_content.discard(entry[1].sha256)
            self._events.put(entry[1].path)


def _not_regular(mode: int) -> str:
    """What a non-regular file is, for the refusal message."""
    if stat.S_ISLNK(mode):
        return _("a symbolic link, not a file (links are never followed)")
    if stat.S_ISFIFO(mode):
        return _("a pipe (FIFO), not a file")
    if stat.S_ISDIR(mode):
        return _("a folder with a picture's name")
    return _("a device or socket, not a file")


def _read_inside(folder: Path, rel: str, seen: os.stat_result, max_bytes: int) -> bytes:
    """The bytes of regular file `rel` under `folder`, opened without following any link on the way, never
    blocking, and never more than `max_bytes`. _Changed if it is not the file lstat saw."""
    parts = rel.split("/")
    flags = os.O_RDONLY | os.O_CLOEXEC
    fd = os.open(folder, flags | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                sub = os.open(part, flags | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise _Refused(_("inside a linked folder (outside the hot folder)")) from exc
                raise
            os.close(fd)
            fd = sub
        try:
            file_fd = os.open(parts[-1], flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _Changed() from exc     # became a symlink since lstat: lstat refuses it next time
            raise
    finally:
        os.close(fd)
    try:
        st = os.fstat(file_fd)
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (seen.st_dev, seen.st_ino):
            raise _Changed()
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(file_fd, min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise _Refused(_("larger than {limit} MB", limit=max_bytes // (1024 * 1024)))
        if total != seen.st_size:
            raise _Changed()
        return b"".join(chunks)
    finally:
        os.close(file_fd)


def _decode_problem(data: bytes, kind: str) -> tuple[str | None, bool]:
    """Why `data` is not (yet) a whole picture, or None; and whether waiting cannot help (a refused size)."""
    from pipeline.decode import check_intact
    from pipeline.errors import DecodeError, ImageSizeError
    if kind == "jpeg" and not data.startswith(b"\xff\xd8"):
        return "no JPEG start marker", False
    try:
        check_intact(data)
    except ImageSizeError as exc:
        return str(exc), True
    except DecodeError as exc:
        return str(exc), False
    return None, False


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
