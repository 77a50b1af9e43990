"""Validation results kept with the photos: a photo is validated against a format once.

The export re-checks every finished photo against its format (a face re-detection: the slow part of an
export). The result depends only on the photo's bytes, the format and the validating code, so it is kept in
the workspace that holds the photo (`state/validated.json`: "<format fingerprint>:<sha256>" -> failures) and
trusted while the bytes' sha256 is the same. A re-export of an unchanged day then validates nothing. The file
is a cache: unreadable or unwritable (a read-only USB copy of a workspace), it is ignored and photos are
validated as before.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from station.core.validation import Failures, fingerprint  # noqa: F401 - the export's one fingerprint
from station.store.durable import replace_file

log = logging.getLogger(__name__)

CACHE_NAME = "state/validated.json"


class ValidationCache:
    """One workspace's kept validation results."""

    def __init__(self, workspace: Path) -> None:
        self.path = workspace / CACHE_NAME
        #: render (relative) -> [size, mtime_ns, inode, sha256]: a render is written once under its own name,
        #: so the same size, time and inode mean the same bytes (no re-read on a re-export)
        self.files: dict[str, list[Any]] = {}
        self.entries: dict[str, Failures] = self._load()
        self.dirty = False

    def _load(self) -> dict[str, Failures]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            entries = data["entries"]
            files = data.get("files") or {}
            self.files = {str(k): list(v) for k, v in files.items()} if isinstance(files, dict) else {}
            return {str(k): list(v) for k, v in entries.items()} if isinstance(entries, dict) else {}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("validation cache %s ignored: %s", self.path, exc)
            return {}

    def known_sha256(self, rel: str, stat: os.stat_result) -> str | None:
        seen = self.files.get(rel)
        if seen and len(seen) == 4 and seen[:3] == [stat.st_size, stat.st_mtime_ns, stat.st_ino]:
            return str(seen[3])
        return None

    def note_file(self, rel: str, stat: os.stat_result, sha256: str) -> None:
        self.files[rel] = [stat.st_size, stat.st_mtime_ns, stat.st_ino, sha256]
        self.dirty = True

    def get(self, preset_fp: str, sha256: str) -> Failures | None:
        return self.entries.get(f"{preset_fp}:{sha256}")

    def put(self, preset_fp: str, sha256: str, failures: Failures) -> None:
        key = f"{preset_fp}:{sha256}"
        if self.entries.get(key) != failures:
            self.entries[key] = failures
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        body: dict[str, Any] = {"version": 1, "note": "export validation results by photo sha256 (a cache)",
                                "entries": {k: self.entries[k] for k in sorted(self.entries)},
                                "files": {k: self.files[k] for k in sorted(self.files)}}
        try:
            replace_file(self.path, (json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")
                         .encode("utf-8"))
            self.dirty = False
        except OSError as exc:       # a read-only or full source disk: validated again next time
            log.warning("validation results not kept in %s: %s", self.path, exc)
