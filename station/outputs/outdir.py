"""The export folder: atomic writes, in-place updates of our own files, and refusal to clobber anyone else's.

A small state file (`.station-export.json`: relative path -> sha256 and college of every file a previous
export wrote) lets a re-export tell "our file from last time" (safe to update, or to remove when its subject
is no longer exported) from "a foreign file in the way" (never overwritten: the export refuses and names it).
Every file is written to a hidden `.~name.XXXXXXXX.part` and renamed, so an interrupted export never leaves a
half-written file under a real name; leftovers of a killed run are removed by the next one.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Any, BinaryIO, Callable

from station.store.durable import PRIVATE_FILE, fsync_dir, make_private_dirs, sha256_file

log = logging.getLogger(__name__)

STATE_NAME = ".station-export.json"
_PART = re.compile(r"^\.~.+\.[0-9a-f]{8}\.part$")


class OutputDir:
    """One export target folder for one run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.old: dict[str, dict[str, Any]] = self._load_state()
        self.new: dict[str, dict[str, Any]] = {}
        self._dirty_dirs: set[Path] = set()
        self._cleaned: set[Path] = set()

    # ------------------------------------------------------------------ checks (no writes)
    def _load_state(self) -> dict[str, dict[str, Any]]:
        path = self.root / STATE_NAME
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text("utf-8"))
            files = data["files"]
            return {str(k): dict(v) for k, v in files.items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("%s is unreadable; treating every existing file as foreign", path)
            return {}

    def check(self, rel: str, sha256: str | None) -> str:
        """'new' | 'same' | 'ours' (ours from last time, may be replaced) | 'foreign: <why>'.

        `sha256` None means the content is not known yet (a zip): an existing file is then 'ours' only if
        the state file vouches for its current bytes.
        """
        target = self.root / rel
        parent = target.parent
        while parent != self.root and parent != parent.parent:
            if parent.exists() and not parent.is_dir():
                return f"foreign: {parent.relative_to(self.root).as_posix()} is a file, not a folder"
            parent = parent.parent
        if target.is_symlink() or (target.exists() and not target.is_file()):
            return "foreign: not a regular file"
        if not target.exists():
            return "new"
        current = sha256_file(target)
        if sha256 is not None and current == sha256:
            return "same"
        if self.old.get(rel, {}).get("sha256") == current:
            return "ours"
        return "foreign: a different file already has this name"

    # ------------------------------------------------------------------ writes
    def _prepare_dir(self, folder: Path) -> None:
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
                   sha256: str | None = None) -> bool:
        """Write through `fill(file)` into a temp file, then rename over `rel` unless the bytes are unchanged."""
        target = self.root / rel
        if sha256 is not None and target.is_file() and not target.is_symlink() and sha256_file(target) == sha256:
            self.new[rel] = {"sha256": sha256, "college": college}
            return False
        self._prepare_dir(target.parent)
        tmp = self._temp_path(target)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
            with os.fdopen(fd, "wb") as fh:
                fill(fh)
                fh.flush()
                os.fsync(fh.fileno())
            digest = sha256_file(tmp)
            if target.is_file() and not target.is_symlink() and sha256_file(target) == digest:
                os.unlink(tmp)
                self.new[rel] = {"sha256": digest, "college": college}
                return False
            os.replace(tmp, target)
        except BaseException:
            if tmp.exists():
                tmp.unlink()
            raise
        self._dirty_dirs.add(target.parent)
        self.new[rel] = {"sha256": digest, "college": college}
        return True

    def remove_stale(self, colleges: set[str]) -> list[str]:
        """Delete our files of these colleges that this export no longer produces (e.g. a rebound take)."""
        removed = []
        for rel, info in sorted(self.old.items()):
            if rel in self.new or info.get("college") not in colleges:
                continue
            target = self.root / rel
            if not target.is_file() or target.is_symlink():
                continue
            if sha256_file(target) != info.get("sha256"):
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
        data = {"version": 1, "note": "written by 'station export'; lists the files it may update",
                "files": {k: state[k] for k in sorted(state)}}
        body = (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
        self.write_with(STATE_NAME, lambda fh: fh.write(body), college=None,
                        sha256=hashlib.sha256(body).hexdigest())
        self.new.pop(STATE_NAME, None)

    def sync(self) -> None:
        """fsync every folder we renamed into: the renames themselves survive a power cut."""
        for folder in sorted(self._dirty_dirs, key=lambda p: len(p.parts), reverse=True):
            if folder.is_dir():
                fsync_dir(folder)
        self._dirty_dirs.clear()
