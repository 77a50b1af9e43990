"""One interactive station per workspace: the lock `station shoot` and `station console` hold while they run.

Two screens on one workspace cross their decisions (window 2 accepts the take window 1 just shot), so the second
interactive process refuses to start and says who holds the workspace. The lock is `flock` on
`state/station.lock`: the kernel drops it when the holder dies (kill -9 included), so a crashed station never
locks the next one out; the holder's pid, start time and console URL sit beside it in `state/station.json`
(owner-only) for the refusal to name. One-shot commands (checkin, capture, accept...) take no lock: they go
through the journal's own rules beside a running station.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from config.i18n import N_, _
from station.core.errors import SessionError
from station.store.clock import SystemClock
from station.store.durable import make_private_dirs

log = logging.getLogger(__name__)

LOCK_FILE = Path("state") / "station.lock"
INFO_FILE = Path("state") / "station.json"


class WorkspaceBusy(SessionError):
    """Another interactive station holds this workspace."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a workspace: what the refusal and the take-over note name."""
    pid: int
    kind: str
    since: str
    url: str = ""

    @classmethod
    def read(cls, path: Path) -> "Holder | None":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(int(data["pid"]), str(data.get("kind") or ""), str(data.get("since") or ""),
                       str(data.get("url") or ""))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        """`station console (pid 1234, since 2026-12-07T10:00:00+08:00, http://127.0.0.1:8765/)`"""
        where = _(", console {url}", url=self.url) if self.url else ""
        return _("station {kind} (pid {pid}, since {since}{where})", kind=self.kind or "?", pid=self.pid,
                 since=self.since or "?", where=where)


class WorkspaceLock:
    """Held while an interactive station runs; `release()` (or the process's death) frees it."""

    def __init__(self, workspace: Path, fd: int, holder: Holder, taken_over: Holder | None) -> None:
        self.workspace = workspace
        self._fd: int | None = fd
        self.holder = holder
        #: the previous holder when it died without releasing (its info file was left): said at start
        self.taken_over = taken_over

    @classmethod
    def acquire(cls, workspace: Path, kind: str, *, now: Callable[[], datetime] | None = None,
                url: str = "") -> "WorkspaceLock":
        """Take the workspace for this process, or raise WorkspaceBusy naming the live holder."""
        make_private_dirs(workspace / "state")
        fd = os.open(workspace / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = Holder.read(workspace / INFO_FILE)
            who = holder.describe() if holder else _("another station process")
            raise WorkspaceBusy(_("this workspace is already open in {who}: one interactive station per "
                                  "workspace", who=who),
                                hint=_("use that station (or stop it first); one-shot commands such as "
                                       "station checkin / accept work beside it")) from None
        except BaseException:
            os.close(fd)
            raise
        previous = Holder.read(workspace / INFO_FILE)
        stamp = (now() if now else SystemClock().now()).isoformat(timespec="seconds")
        lock = cls(workspace, fd, Holder(os.getpid(), kind, stamp, url), previous)
        lock._write()
        if previous is not None:
            log.warning("workspace lock taken over from %s (it ended without releasing)", previous)
        return lock

    def note(self) -> str | None:
        """The take-over note for the screen, None when the last holder closed cleanly."""
        if self.taken_over is None:
            return None
        return _(TAKEN_OVER, who=self.taken_over.describe())

    def set_url(self, url: str) -> None:
        """The console's address, once it listens (so a second start can point at it)."""
        self.holder = Holder(self.holder.pid, self.holder.kind, self.holder.since, url)
        self._write()

    def _write(self) -> None:
        data = json.dumps({"pid": self.holder.pid, "kind": self.holder.kind, "since": self.holder.since,
                           "url": self.holder.url}, ensure_ascii=False).encode("utf-8")
        path = self.workspace / INFO_FILE
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Free the workspace (idempotent): the info file goes first, so nobody reads a stale holder."""
        if self._fd is None:
            return
        try:
            (self.workspace / INFO_FILE).unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s", INFO_FILE)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "WorkspaceLock":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def running_station(workspace: Path) -> Holder | None:
    """Who holds the workspace now, for `station status` (None: nobody). Read from the info file and the
    holder's pid, never by touching the lock: asking must not make a station that is starting refuse."""
    holder = Holder.read(workspace / INFO_FILE)
    if holder is None:
        return None
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return None                      # died without closing: the next start takes over
    except PermissionError:
        pass                             # alive, another user's
    return holder


#: said at start when the previous holder died holding the workspace
TAKEN_OVER = N_("the previous station ({who}) ended without closing: its lock was taken over")
