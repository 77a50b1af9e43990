"""Write a file so that once we say it is written, kill -9 or power loss cannot take it back.

Temp name in the same folder -> write -> fsync -> hard-link to the final name (fails if the name exists, so
nothing is ever overwritten) -> unlink temp -> fsync the folder. Only after this returns may the caller
journal the file as acknowledged.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from config.faults import fault_point

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def make_private_dirs(path: Path) -> None:
    """mkdir -p with every created folder readable by the owner only."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is filtered by umask


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(path: Path, data: bytes) -> Path:
    """`data` durably in a new hidden temp file beside `path` (removed again if the write fails)."""
    make_private_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        os.unlink(tmp)      # a failed write (disk full): no half-written temp file stays
        raise
    return tmp


def write_new_file(path: Path, data: bytes) -> str:
    """Durably create `path` with `data`; return its sha256 hex. FileExistsError if the name is taken."""
    tmp = _write_temp(path, data)
    try:
        fault_point("store.temp_written")
        os.link(tmp, path)  # atomic, and unlike rename it never replaces an existing file
        fault_point("store.linked")
    finally:
        os.unlink(tmp)
    fsync_dir(path.parent)
    return hashlib.sha256(data).hexdigest()


def move_aside(path: Path, folder: Path) -> Path:
    """Move `path` into `folder` under its own name (".1", ".2"... if taken): never replaces a file."""
    make_private_dirs(folder)
    for n in range(1000):
        target = folder / (path.name if n == 0 else f"{path.name}.{n}")
        try:
            os.link(path, target, follow_symlinks=False)   # a symlink moves as itself
        except FileExistsError:
            continue
        os.unlink(path)
        fsync_dir(folder)
        fsync_dir(path.parent)
        return target
    raise FileExistsError(f"{folder}: no free name for {path.name}")


def replace_file(path: Path, data: bytes) -> None:
    """Atomically replace a derived, non-original file (a preview, a rendered photo cache)."""
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
