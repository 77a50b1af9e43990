"""The export folder: atomic writes, in-place updates of our own files, and refusal to clobber anyone else's.

A small state file (`.station-export.json`: relative path -> sha256 and college of every file a previous
export wrote) lets a re-export tell "our file from last time" (safe to update, or to remove when its subject
is no longer exported) from "a foreign file in the way" (never overwritten: the export refuses and names it).
Every file is written to a hidden `.~name.XXXXXXXX.part` and renamed, so an interrupted export never leaves a
half-written file under a real name; leftovers of a killed run are removed by the next one.

Restartable after a kill at any point: before a file is renamed into place its sha256 is *promised* in the
state file (`pending`), so a re-run recognises what a killed run wrote (a zip, a photo of a take rebound since)
as ours. One export at a time per folder: `ExportLock` holds flock on the folder itself (no lock file is left),
and a second export is refused as busy. Nothing is written through a symbolic link: a linked college folder is
"in the way", and the folders are checked again right before each write.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any, BinaryIO, Callable

from config.faults import fault_point
from config.i18n import _
from station.core.errors import ExportError
from station.store.diskerrors import disk_errors
from station.store.durable import PRIVATE_FILE, fsync_dir, make_private_dirs, sha256_file

log = logging.getLogger(__name__)

STATE_NAME = ".station-export.json"
_PART = re.compile(r"^\.~.+\.[0-9a-f]{8}\.part$")


class _Changed(Exception):
    """The bytes copied are not the bytes planned (the source changed during the export)."""


def copy_fd(src: int, dst: int, size: int) -> None:
    """Copy `size` bytes from the start of `src` to `dst` in the kernel: copy_file_range (one call for a
    photo, or a reflink on filesystems that share blocks), else sendfile, else read/write."""
    done = 0
    for call in (getattr(os, "copy_file_range", None), getattr(os, "sendfile", None)):
        if call is None:
            continue
        try:
            while done < size:
                n = call(src, dst, size - done, done, None) if call is not os.sendfile else \
                    os.sendfile(dst, src, done, size - done)
                if n == 0:
                    break
                done += n
            if done >= size:
                return
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
                raise
    os.lseek(src, done, os.SEEK_SET)
    while block := os.read(src, 1 << 20):
        os.write(dst, block)


class ExportLock:
    """Exclusive flock on the export folder (or, until it exists, on its nearest existing parent)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._fds: dict[Path, int] = {}

    def __enter__(self) -> "ExportLock":
        folder = self.root
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        self._take(folder)
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def hold_root(self) -> None:
        """The folder exists now: hold its own lock (and let go of the parent's)."""
        if self.root in self._fds:
            return
        make_private_dirs(self.root)
        self._take(self.root)
        for folder in [f for f in self._fds if f != self.root]:
            os.close(self._fds.pop(folder))

    def _take(self, folder: Path) -> None:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ExportError(_("{folder} is busy: another export is writing there now", folder=self.root),
                              hint=_("wait until that export has finished, then run this one again")) from None
        self._fds[folder] = fd


class OutputDir:
    """One export target folder for one run."""

    def __init__(self, root: Path, lock: ExportLock | None = None) -> None:
        self.root = root
        self.lock = lock
        #: rel -> {"college": ..., "sha256": [...]}: bytes a run promised before renaming them into place
        self.pending: dict[str, dict[str, Any]] = {}
        #: the state file as read (never mutated); None once this run has written it or could not read it
        self._on_disk: dict[str, Any] | None = None
        self._state_stat: tuple[int, int, int] | None = None
        self.old: dict[str, dict[str, Any]] = self._load_state()
        self.new: dict[str, dict[str, Any]] = {}
        self._dirty_dirs: set[Path] = set()
        self._cleaned: set[Path] = set()
        self._checked_folders: dict[str, str | None] = {}
        #: rel -> the stat `check` found unchanged since our last write (recorded again by `keep`)
        self._seen: dict[str, os.stat_result] = {}

    # ------------------------------------------------------------------ checks (no writes)
    def _load_state(self) -> dict[str, dict[str, Any]]:
        path = self.root / STATE_NAME
        if not path.is_file() or path.is_symlink():
            return {}
        try:
            st = os.lstat(path)
            data = json.loads(path.read_text("utf-8"))
            self._on_disk, self._state_stat = data, (st.st_size, st.st_mtime_ns, st.st_ino)
            files = data["files"]
            self.pending = {str(k): {"college": v.get("college"), "sha256": [str(x) for x in v["sha256"]]}
                            for k, v in dict(data.get("pending", {})).items()}
            return {str(k): dict(v) for k, v in files.items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("%s is unreadable; treating every existing file as foreign", path)
            self._on_disk = None
            self.pending = {}
            return {}

    def _ours(self, rel: str, current: str) -> bool:
        """Bytes a finished earlier export left, or that a killed one promised before renaming them here."""
        return (self.old.get(rel, {}).get("sha256") == current
                or current in self.pending.get(rel, {}).get("sha256", ()))

    def _linked_folder(self, target: Path) -> str | None:
        """The first folder between the root and `target` that is a symbolic link (or not a folder)."""
        parent = target.parent
        chain = []
        while parent != self.root and self.root in parent.parents:
            chain.append(parent)
            parent = parent.parent
        for folder in reversed(chain):
            if folder.is_symlink():
                return _("{folder} is a symbolic link (the export never writes through links)",
                         folder=folder.relative_to(self.root).as_posix())
            if folder.exists() and not folder.is_dir():
                return _("{folder} is a file, not a folder", folder=folder.relative_to(self.root).as_posix())
        return None

    def check(self, rel: str, sha256: str | None) -> str:
        """'new' | 'same' | 'ours' (ours from last time, may be replaced) | 'foreign: <why>'.

        `sha256` None means the content is not known yet (a zip): an existing file is then 'ours' only if
        the state file vouches for its current bytes.
        """
        target = os.path.join(self.root, rel)       # a string: a day's thousands of paths, no Path objects
        parent = os.path.dirname(target)
        if parent not in self._checked_folders:     # planning: one look per folder, not per file
            self._checked_folders[parent] = self._linked_folder(Path(target))
        linked = self._checked_folders[parent]
        if linked:
            return f"foreign: {linked}"
        try:
            st = os.lstat(target)       # one look per file: kind, size, time and inode together
        except (FileNotFoundError, NotADirectoryError):
            return "new"
        if not stat.S_ISREG(st.st_mode):
            return "foreign: not a regular file"
        if sha256 is not None and self._unchanged_since_written(rel, st, sha256):
            self._seen[rel] = st
            return "same"
        current = sha256_file(target)
        if sha256 is not None and current == sha256:
            self._seen[rel] = st
            return "same"
        if self._ours(rel, current):
            return "ours"
        return "foreign: a different file already has this name"

    def _unchanged_since_written(self, rel: str, st: os.stat_result, sha256: str) -> bool:
        """Our file from last time, untouched since (same size, mtime and inode as recorded when we wrote or
        checked it): it still has the bytes we recorded, so a re-export need not read it."""
        entry = self.old.get(rel) or {}
        if entry.get("sha256") != sha256 or "stat" not in entry:
            return False
        return list(entry["stat"]) == [st.st_size, st.st_mtime_ns, st.st_ino]

    def _record(self, rel: str, sha256: str, college: str | None, st: os.stat_result | None = None) -> None:
        """`rel` holds these bytes now: ours, with its stat so the next run can trust it unread."""
        entry: dict[str, Any] = {"sha256": sha256, "college": college}
        try:
            st = st or os.stat(os.path.join(self.root, rel))
            entry["stat"] = [st.st_size, st.st_mtime_ns, st.st_ino]
        except OSError:
            pass
        self.new[rel] = entry

    # ------------------------------------------------------------------ promises (restart after a kill)
    def promise(self, planned: dict[str, tuple[str, str | None]]) -> None:
        """Record in the state file that these bytes (rel -> (sha256, college)) are ours BEFORE they are
        renamed into place: one state write for a whole plan, one per zip."""
        fresh = {rel: (sha, college) for rel, (sha, college) in planned.items()
                 if not self._ours(rel, sha)}
        if not fresh:
            return
        for rel, (sha, college) in fresh.items():
            entry = self.pending.setdefault(rel, {"college": college, "sha256": []})
            entry["college"] = college
            entry["sha256"].append(sha)
        self._save(self.old, self.pending)

    def leftovers(self) -> None:
        """Remove the temp files a killed export left in the folders we write (under the lock)."""
        if not self.root.is_dir():
            return
        for folder in [self.root, *(Path(e.path) for e in os.scandir(self.root)
                                    if e.is_dir(follow_symlinks=False))]:
            self._prepare_dir(folder)

    # ------------------------------------------------------------------ writes
    def _prepare_dir(self, folder: Path) -> None:
        if self.lock is not None:
            self.lock.hold_root()
        linked = self._linked_folder(folder / "x")
        if linked:      # checked again right before writing: a folder swapped for a link since the plan
            raise ExportError(_("in the way: {problem}", problem=linked))
        make_private_dirs(folder)
        if folder in self._cleaned:
            return
        self._cleaned.add(folder)
        for entry in os.scandir(folder):
            if _PART.match(entry.name) and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)   # a half-written file of an interrupted export
                log.info("removed leftover %s", entry.name)

    def _temp_path(self, target: Path) -> Path:
        return target.with_name(f".~{target.name[:60]}.{secrets.token_hex(4)}.part")

    def write_bytes(self, rel: str, data: bytes, *, college: str | None, sha256: str | None = None) -> bool:
        """Atomically give `rel` these bytes; False (and no write at all) when it already has them."""
        digest = sha256 or hashlib.sha256(data).hexdigest()
        return self.write_with(rel, lambda fh: fh.write(data), college=college, sha256=digest)

    def write_with(self, rel: str, fill: Callable[[BinaryIO], Any], *, college: str | None,
                   sha256: str | None = None, expect: str | None = None) -> bool:
        """Write through `fill(file)` into a temp file, then rename over `rel` unless the bytes are unchanged.
        With `expect`, temp bytes of another sha256 are refused (_Changed) and never renamed into place."""
        target = self.root / rel
        if sha256 is not None and target.is_file() and not target.is_symlink() and sha256_file(target) == sha256:
            self._record(rel, sha256, college)
            return False
        with disk_errors(target.parent):
            self._prepare_dir(target.parent)
            tmp = self._temp_path(target)
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
                with os.fdopen(fd, "wb") as fh:
                    fill(fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                digest = sha256_file(tmp)
                if expect is not None and digest != expect:
                    raise _Changed(rel)
                if target.is_file() and not target.is_symlink() and sha256_file(target) == digest:
                    os.unlink(tmp)
                    self._record(rel, digest, college)
                    return False
                if rel != STATE_NAME:
                    self.promise({rel: (digest, college)})
                fault_point("export.before_rename")
                os.replace(tmp, target)
                fault_point("export.after_rename")
            except BaseException:
                if tmp.exists():
                    tmp.unlink()
                raise
        self._dirty_dirs.add(target.parent)
        self._record(rel, digest, college)
        return True

    def keep(self, rel: str, sha256: str, *, college: str | None) -> None:
        """`rel` already holds these bytes (checked under the lock): ours now, nothing written. The stat
        `check` trusted is the one recorded (no second look at a file nobody else writes while we hold it)."""
        self._record(rel, sha256, college, self._seen.pop(rel, None))

    def copy_file(self, rel: str, source: Path, *, college: str | None, sha256: str) -> bool:
        """Give `rel` the bytes of `source` (which must hash to `sha256`), copied in the kernel
        (copy_file_range, else sendfile) through a temp file and a rename; False when nothing changed."""
        def fill(fh: BinaryIO) -> None:
            with open(source, "rb") as src:
                copy_fd(src.fileno(), fh.fileno(), os.fstat(src.fileno()).st_size)
        try:
            written = self.write_with(rel, fill, college=college, sha256=sha256, expect=sha256)
        except _Changed:
            raise ExportError(_("{file} changed during the export; run it again", file=source.name)) from None
        return written

    def remove_stale(self, colleges: set[str]) -> list[str]:
        """Delete our files of these colleges that this export no longer produces (e.g. a rebound take)."""
        removed = []
        promised = {rel: info for rel, info in self.pending.items() if rel not in self.old}
        for rel, info in sorted({**promised, **self.old}.items()):
            if rel in self.new or info.get("college") not in colleges:
                continue
            target = self.root / rel
            if not target.is_file() or target.is_symlink() or self._linked_folder(target):
                continue
            if not self._ours(rel, sha256_file(target)):
                log.warning("%s changed since the last export; left in place", rel)
                self.new[rel] = {"sha256": sha256_file(target), "college": None, "foreign": True}
                continue
            target.unlink()
            self._dirty_dirs.add(target.parent)
            removed.append(rel)
            self._remove_empty_parents(target.parent)
        return removed

    def _remove_empty_parents(self, folder: Path) -> None:
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            self._dirty_dirs.discard(folder)
            self._dirty_dirs.add(folder.parent)
            folder = folder.parent

    def save_state(self, touched: set[str]) -> None:
        """Record what we own; entries of colleges this run did not touch are kept as they were."""
        state = {rel: info for rel, info in self.old.items()
                 if info.get("college") is not None and info.get("college") not in touched
                 and rel not in self.new}
        state.update({rel: info for rel, info in self.new.items() if not info.get("foreign")})
        # promises this run did not settle (a college it did not touch) stay, so a later run still knows them
        self.pending = {rel: info for rel, info in self.pending.items()
                        if rel not in self.new and info.get("college") not in touched and rel not in state}
        self._save(state, self.pending)

    def _save(self, files: dict[str, dict[str, Any]], pending: dict[str, dict[str, Any]]) -> None:
        data: dict[str, Any] = {"version": 1, "note": "written by 'station export'; lists the files it may update",
                                "files": {k: files[k] for k in sorted(files)}}
        if pending:
            data["pending"] = {k: pending[k] for k in sorted(pending)}
        if data == self._on_disk and self._state_unmoved():
            return      # the file already says exactly this: an unchanged re-export writes nothing
        self._on_disk = None
        body = (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
        self.write_with(STATE_NAME, lambda fh: fh.write(body), college=None,
                        sha256=hashlib.sha256(body).hexdigest())
        self.new.pop(STATE_NAME, None)

    def _state_unmoved(self) -> bool:
        """The state file read at the start is still a regular file of that size and time (not replaced)."""
        try:
            st = os.lstat(self.root / STATE_NAME)
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and self._state_stat == (st.st_size, st.st_mtime_ns, st.st_ino)

    def sync(self) -> None:
        """fsync every folder we renamed into: the renames themselves survive a power cut."""
        for folder in sorted(self._dirty_dirs, key=lambda p: len(p.parts), reverse=True):
            if folder.is_dir():
                fsync_dir(folder)
        self._dirty_dirs.clear()
