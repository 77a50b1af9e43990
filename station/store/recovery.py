"""What a crash can leave between the disk and the journal, found by walking the workspace's folders.

A kill -9 (or a full disk) between `write_new_file` and the journal's COMMIT leaves an original under its final
name that no event acknowledges (an *orphan*), and a kill inside `write_new_file` leaves a hidden `.tmp` file.
This module only finds and groups them; the writer decides what to do with them inside its write transaction
(so no other process can be half-way through writing them), and `reconcile` reports them.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ORIGINALS = "originals"
RENDERS = "renders"
#: orphans that duplicate a journalled original are moved here (never deleted)
QUARANTINE = "quarantine"

#: "<station>-<seq>_<who>[-<n>].<ext>", as the writer names a take's files
_TAKE_FILE = re.compile(r"^(?P<stem>.+?-(?P<seq>\d{6})_.*?)(?:-(?P<n>\d+))?(?P<ext>\.[^.]+)$")


@dataclass(frozen=True)
class DiskScan:
    """Files under one folder of the workspace, relative to the workspace (posix)."""
    files: frozenset[str]
    temp_files: tuple[str, ...]


def is_temp_name(name: str) -> bool:
    """The hidden temp names `durable.write_new_file` uses (".<name>.<hex>.tmp")."""
    return name.startswith(".") and name.endswith(".tmp")


def scan(workspace: Path, folder: str) -> DiskScan:
    """Regular files under `workspace/folder` (symlinks are listed as files too: they are not ours)."""
    files: set[str] = set()
    temp: list[str] = []
    root = workspace / folder
    if root.is_dir():
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                rel = (Path(dirpath) / name).relative_to(workspace).as_posix()
                (temp.append(rel) if is_temp_name(name) else files.add(rel))
    return DiskScan(frozenset(files), tuple(sorted(temp)))


def group_takes(orphans: set[str] | frozenset[str]) -> list[tuple[int | None, list[str]]]:
    """Orphans grouped into the takes they were written for: (seq from the name or None, files primary
    first). A JPEG and its RAW share a stem; a file not named by the writer is a group of its own."""
    groups: dict[str, list[tuple[int, str]]] = {}
    seqs: dict[str, int | None] = {}
    for rel in sorted(orphans):
        folder, _, name = rel.rpartition("/")
        match = _TAKE_FILE.match(name)
        key = f"{folder}/{match['stem']}" if match else rel
        groups.setdefault(key, []).append((int(match["n"] or 1) if match else 1, rel))
        seqs[key] = int(match["seq"]) if match else None
    return [(seqs[key], [rel for _n, rel in sorted(files)]) for key, files in sorted(groups.items())]


def kind_of(rel: str) -> str:
    """The CapturedFile kind a stored file was written as, from its extension."""
    return "jpeg" if rel.lower().endswith((".jpg", ".jpeg")) else "raw"
