"""A station workspace: its folder, settings, clock and journal. Nothing acknowledged is ever lost.

One `Store` per process per workspace: a thin facade over the journal's writer (and its read model) on one
SQLite connection, plus the workspace's lifecycle: create it owner-only, open it, reconcile journal and disk
after a crash. Code that only reads a workspace (this one or another station's) opens `ReadModel.open(path)`
instead: read-only, no schema writes (tests/test_store_readonly.py checks who opens a writable one).
"""
from __future__ import annotations

import logging
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from config.i18n import N_, _
from config.settings import Settings, load_settings
from station.core.errors import StoreError
from station.store import journal
from station.store.clock import Clock, SystemClock
from station.store.durable import make_private_dirs, sha256_file, write_new_file
from station.store import recovery
from station.store.models import Reconciliation
from station.store.recovery import QUARANTINE
from station.store.writer import ORIGINALS, RENDERS, JournalWriter

log = logging.getLogger(__name__)

JOURNAL_FILE = journal.JOURNAL_FILE


@dataclass(frozen=True)
class FreeSpace:
    """Free space where the station writes originals: the workspace's disk and, when set, the mirror's."""
    folder: str
    free_mb: float
    min_free_mb: int

    @property
    def low(self) -> bool:
        return self.free_mb < self.min_free_mb


def free_space(workspace: Path, settings: Settings) -> list[FreeSpace]:
    """How much is left on each disk a capture writes to (a folder that cannot be asked is left out)."""
    found = []
    for folder in (workspace, *([Path(settings.storage.mirror)] if settings.storage.mirror else [])):
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            continue
        found.append(FreeSpace(str(folder), free / (1 << 20), settings.safety.min_free_mb))
    return found


#: the warning for a disk below [safety] min_free_mb (the store's text and the controller's screens say it)
LOW_SPACE = N_("only {free} MB free on {folder} (warning below {limit} MB): free space before the disk is full")


def low_space(workspace: Path, settings: Settings) -> list[dict[str, Any]]:
    """The LOW_SPACE fields of every disk a capture writes to that is below the threshold."""
    return [{"free": f"{f.free_mb:.0f}", "folder": f.folder, "limit": f.min_free_mb}
            for f in free_space(workspace, settings) if f.low]


def space_warning(workspace: Path, settings: Settings) -> str | None:
    """One line to show before a shot when a disk is below [safety] min_free_mb, else None."""
    low = low_space(workspace, settings)
    return "; ".join(_(LOW_SPACE, **fields) for fields in low) if low else None


class Store:
    """A workspace opened for writing: its journal's writer (and, through it, the read model) over one
    connection, plus the workspace's lifecycle. A thin facade: `store.accept(...)` is `store.writer.accept(...)`,
    `store.takes()` is `store.read.takes()`. Code that only reads opens `ReadModel.open(workspace)` instead."""

    def __init__(self, workspace: Path, settings: Settings, *, clock: Clock | None = None) -> None:
        conn = journal.connect(workspace / JOURNAL_FILE)
        journal.ensure_schema(conn)
        self.writer = JournalWriter(conn, workspace=workspace, settings=settings, clock=clock or SystemClock())
        self.read = self.writer.read

    def __getattr__(self, name: str) -> Any:
        writer = self.__dict__.get("writer")
        if writer is None:
            raise AttributeError(name)
        return getattr(writer, name)

    @property
    def settings(self) -> Settings:
        return self.writer.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.writer.settings = value

    @classmethod
    def open(cls, workspace: Path, *, clock: Clock | None = None) -> "Store":
        """Open an initialised workspace (station.toml must exist: `station init`)."""
        settings = load_settings(workspace)
        if not (workspace / JOURNAL_FILE).exists():
            raise StoreError(_("{folder}: no journal here; run 'station init' first", folder=workspace))
        return cls(workspace, settings, clock=clock)

    def close(self) -> None:
        self.conn.close()

    @property
    def readonly_reason(self) -> str | None:
        """Why the journal was opened read-only (the disk cannot be written), None when it is writable."""
        return getattr(self.conn, "readonly_reason", None)

    def space_warning(self) -> str | None:
        """The free-space warning for this workspace (see `space_warning`): call it before each shot."""
        return space_warning(self.workspace, self.settings)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reconcile(self, *, deep: bool = False) -> Reconciliation:
        """Compare journal and disk after a restart. Never deletes anything; reports what it finds (the
        writer's `recover` deals with orphans and temp files before the next capture)."""
        known = self.originals()
        scanned = recovery.scan(self.workspace, ORIGINALS)
        on_disk = scanned.files
        missing, damaged = [], []
        for rel, (size, digest) in sorted(known.items()):
            path = self.workspace / rel
            if rel not in on_disk:
                missing.append(rel)
            elif path.stat().st_size != size or (deep and sha256_file(path) != digest):
                damaged.append(rel)
        orphans = sorted(on_disk - known.keys())
        temp = (*scanned.temp_files, *recovery.scan(self.workspace, RENDERS).temp_files)
        quarantined = tuple(sorted(recovery.scan(self.workspace, QUARANTINE).files))
        report = Reconciliation(tuple(orphans), tuple(missing), tuple(damaged), temp, quarantined)
        for rel in orphans:
            log.warning("orphan original (not in the journal, kept): %s", rel)
        for rel in missing:
            log.error("journalled original missing: %s", rel)
        return report


def init_workspace(workspace: Path, settings: Settings, *, clock: Clock | None = None,
                   warn: Callable[[str], None] | None = None) -> Store:
    """Create a workspace (owner-only), write station.toml and the journal. Refuses to clobber one.

    A folder that already exists and others can read (0755 from a file manager) is tightened to 0700, and
    `warn` (default: the log) is told: names, ID numbers and faces will be stored in it."""
    from config.settings import SETTINGS_FILE, render_settings
    target = workspace / SETTINGS_FILE
    if target.exists():
        raise StoreError(_("{folder} is already a station workspace (station.toml exists)", folder=workspace))
    make_private_dirs(workspace)
    for sub in (ORIGINALS, RENDERS, "presets", "state", "preview"):
        make_private_dirs(workspace / sub)
    for folder in (workspace, *(workspace / sub for sub in (ORIGINALS, RENDERS, "presets", "state", "preview"))):
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & 0o077:
            os.chmod(folder, 0o700)
            (warn or log.warning)(_("{folder} was readable by others ({mode}); now owner-only (0700)",
                                    folder=folder, mode=f"{mode:04o}"))
    write_new_file(target, render_settings(settings).encode("utf-8"))
    # create the journal owner-only *before* SQLite opens it: its -wal/-shm files copy the journal's mode
    # (O_EXCL: a journal already there is never opened outside SQLite, see journal._journal_mode)
    try:
        os.close(os.open(workspace / JOURNAL_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    (workspace / JOURNAL_FILE).chmod(0o600)
    store = Store(workspace, settings, clock=clock)
    store.record_init(room=settings.station.room, preset=settings.format.preset)
    return store
