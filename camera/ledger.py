"""The hot folder's record of files already taken, kept in the station's state folder.

Append-only JSON lines, fsynced per entry: a restart (or a crash) never re-ingests a file, and the record
is readable by a person. Without a state folder it lives in memory (one run only).
"""
from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

LEDGER_NAME = "hotfolder-ingested.jsonl"


class IngestLedger:
    """Which files (by path+size+mtime) and which contents (by sha256) were already ingested or rejected."""

    def __init__(self, state_dir: Path | None) -> None:
        self.path = state_dir / LEDGER_NAME if state_dir is not None else None
        self._keys: set[str] = set()
        self._hashes: set[str] = set()
        self._lock = threading.Lock()
        if self.path is not None and self.path.exists():
            for lineno, line in enumerate(self.path.read_text("utf-8").splitlines(), 1):
                try:
                    entry = json.loads(line)
                except ValueError:
                    log.warning("%s line %d is damaged; ignored", self.path, lineno)  # torn last write
                    continue
                self._keys.add(entry["key"])
                if entry.get("status") == "ingested" and entry.get("sha256"):
                    self._hashes.add(entry["sha256"])

    def has_key(self, key: str) -> bool:
        with self._lock:
            return key in self._keys

    def has_content(self, sha256: str) -> bool:
        with self._lock:
            return sha256 in self._hashes

    def record(self, key: str, *, status: str, sha256: str = "", name: str = "") -> None:
        """Remember a file for good (status "ingested" or "corrupt")."""
        with self._lock:
            self._keys.add(key)
            if status == "ingested" and sha256:
                self._hashes.add(sha256)
            if self.path is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            line = json.dumps({"key": key, "status": status, "sha256": sha256, "name": name}, ensure_ascii=False)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
