"""The hot folder's record of files already taken, kept in the station's state folder.

Append-only JSON lines, fsynced per entry: a restart (or a crash) never re-ingests a file, and the record
is readable by a person. Without a state folder it lives in memory (one run only).

A file goes "handed" when the consumer receives it and "ingested" only when the consumer acknowledges that
its take is journalled. A crash in between leaves a "handed" entry with no final one: the file is not
skipped on the next start (it is offered again) and `pending()` names it so the start can say so.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

LEDGER_NAME = "hotfolder-ingested.jsonl"

HANDED = "handed"
INGESTED = "ingested"
#: statuses after which a file is never offered again (refused: not a regular file, or over the size limit)
FINAL = frozenset({INGESTED, "corrupt", "duplicate", "refused"})


class IngestLedger:
    """Which files (by path+size+mtime) and which contents (by sha256) were already ingested or rejected,
    and which were handed over but never acknowledged."""

    def __init__(self, state_dir: Path | None) -> None:
        self.path = state_dir / LEDGER_NAME if state_dir is not None else None
        self._keys: set[str] = set()
        self._hashes: set[str] = set()
        self._pending: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._torn_tail = False     # a crash mid-write left a last line without its newline
        if self.path is not None and self.path.exists():
            text = self.path.read_text("utf-8", errors="replace")
            self._torn_tail = bool(text) and not text.endswith("\n")
            for lineno, line in enumerate(text.splitlines(), 1):
                try:
                    entry = json.loads(line)
                    key, status = entry["key"], entry.get("status", INGESTED)
                except (ValueError, KeyError, TypeError):
                    log.warning("%s line %d is damaged; ignored", self.path, lineno)  # torn last write
                    continue
                self._remember(key, status, entry.get("sha256", ""), entry.get("name", ""))

    def _remember(self, key: str, status: str, sha256: str, name: str) -> None:
        if status == HANDED:
            if key not in self._keys:
                self._pending[key] = {"key": key, "sha256": sha256, "name": name}
            return
        self._keys.add(key)
        self._pending.pop(key, None)
        if status == INGESTED and sha256:
            self._hashes.add(sha256)

    def has_key(self, key: str) -> bool:
        """True when the file is settled (ingested, corrupt, duplicate, refused): never offer it again."""
        with self._lock:
            return key in self._keys

    def has_content(self, sha256: str) -> bool:
        with self._lock:
            return sha256 in self._hashes

    def pending(self) -> list[dict[str, str]]:
        """Files handed over and never acknowledged (key, sha256, name): the consumer stopped in between."""
        with self._lock:
            return list(self._pending.values())

    def record(self, key: str, *, status: str, sha256: str = "", name: str = "") -> None:
        """Remember a file: "handed", or for good ("ingested", "corrupt", "duplicate", "refused")."""
        with self._lock:
            self._remember(key, status, sha256, name)
            if self.path is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            line = json.dumps({"key": key, "status": status, "sha256": sha256, "name": name}, ensure_ascii=False)
            if self._torn_tail:          # end the torn line first, or this entry would be lost with it
                line, self._torn_tail = "\n" + line, False
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
