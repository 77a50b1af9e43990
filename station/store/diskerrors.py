"""The one mapping from "the disk said no" to a one-line domain error with a hint.

A full disk, an I/O error or a read-only mount shows up as OSError (ENOSPC, EDQUOT, EIO, EROFS) from file
writes and as sqlite3.OperationalError ("database or disk is full", "disk I/O error", "attempt to write a
readonly database") from the journal. The journal connection and the writer's transaction pass every such
error through `disk_error`, so no command needs its own handling and the operator reads what to do, not a
traceback. Anything else is a bug and is left alone.
"""
from __future__ import annotations

import errno
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from config.i18n import _
from station.core.errors import DiskError

_FULL = {errno.ENOSPC, errno.EDQUOT}
#: below this much free space an SQLite "I/O error" (e.g. it could not grow the -shm file) is a full disk
_NEARLY_FULL = 1 << 20


def _free_bytes(where: Path | str) -> int | None:
    path = Path(where)
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def _kind(exc: BaseException, where: Path | str) -> str | None:
    """'full' | 'io' | 'readonly' for a disk error, None for anything else."""
    if isinstance(exc, OSError) and not isinstance(exc, (FileExistsError, FileNotFoundError)):
        if exc.errno in _FULL:
            return "full"
        if exc.errno == errno.EROFS:
            return "readonly"
        if exc.errno == errno.EIO:
            return "io"
        return None
    if isinstance(exc, sqlite3.OperationalError):
        name = getattr(exc, "sqlite_errorname", "") or ""
        text = str(exc)
        if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
            return "full"
        if name.startswith("SQLITE_READONLY") or "readonly database" in text:
            return "readonly"
        if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
            free = _free_bytes(where)
            return "full" if free is not None and free < _NEARLY_FULL else "io"
    return None


def disk_error(exc: BaseException, where: Path | str) -> DiskError | None:
    """The domain error for a disk failure at `where` (a file or folder), None when `exc` is not one."""
    kind = _kind(exc, where)
    if kind == "full":
        return DiskError(_("the disk is full ({where}): nothing more can be written", where=where),
                         hint=_("free space on this disk (move old exports away), then retry; everything "
                                "already acknowledged is kept"))
    if kind == "readonly":
        return DiskError(_("the disk cannot be written ({where}): it is read-only or full", where=where),
                         hint=_("free space or remount the disk writable, then retry; read-only commands "
                                "(status, review, report) still work"))
    if kind == "io":
        return DiskError(_("the disk reports an I/O error ({where})", where=where),
                         hint=_("check the disk and its cable; copy the workspace to another disk"))
    return None


@contextmanager
def disk_errors(where: Path | str) -> Iterator[None]:
    """Turn a disk failure inside the block into its DiskError; every other error passes unchanged."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        mapped = disk_error(exc, where)
        if mapped is None:
            raise
        raise mapped from exc
