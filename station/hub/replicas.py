"""Other stations' journals on this machine: one read-only replica per station, applied from the hub's messages.

Each replica is a workspace folder (station.toml, journal.sqlite3, renders/) that the multi-workspace merge reads
like a copied workspace. `apply` takes a batch of (subject, payload, stream sequence) and writes each station's
rows in one transaction (station/store/replica.py); on the hub, the finished photos come from its cache or the
object store.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from nats.js.errors import ObjectNotFoundError

from config.settings import SETTINGS_FILE
from pipeline.result import Verdict
from station.hub import link as links
from station.store import replica
from station.store.durable import make_private_dirs, write_new_file
from station.store.workspace import JOURNAL_FILE

log = logging.getLogger(__name__)


class Replicas:
    """One read-only replica per remote station under `root` (station.toml, journal.sqlite3, renders/)."""

    def __init__(self, root: Path, *, skip: str | None = None, photos: Any = None) -> None:
        self.root = root
        self.skip = skip
        self.photos = photos            # an object store to fetch finished photos from (the hub's export)
        self.cache: Path | None = None  # optional folder of photos by sha256 (hub side)
        self._open: dict[str, replica.ReplicaJournal] = {}
        self.last: dict[str, dict[str, Any]] = {}

    def folder(self, station: str) -> Path:
        return self.root / station

    def journal(self, station: str) -> replica.ReplicaJournal:
        if station not in self._open:
            folder = self.folder(station)
            make_private_dirs(folder / "renders")
            self._open[station] = replica.ReplicaJournal(folder / JOURNAL_FILE)
        return self._open[station]

    def stream_seq(self) -> int:
        """Where to resume consuming: the last batch applied to every replica (else the lowest position any
        replica has applied: re-applying is a no-op), 0 for none."""
        marker = self.root / "consumed.json"
        if marker.is_file():        # written after every replica of the batch committed
            return int(json.loads(marker.read_text())["seq"])
        seqs = []
        if self.root.is_dir():
            for folder in sorted(p for p in self.root.iterdir() if (p / JOURNAL_FILE).is_file()):
                seqs.append(self.journal(folder.name).stream_seq())
        return min(seqs) if seqs else 0

    def close(self) -> None:
        for journal in self._open.values():
            journal.close()
        self._open.clear()

    async def apply(self, batch: list[tuple[str, bytes, int]]) -> int:
        """Apply (subject, payload, stream seq) messages: per station in one transaction each."""
        per: dict[str, list[tuple[str, dict[str, Any], int]]] = {}
        top = 0
        for subject, payload, seq in batch:
            top = max(top, seq)
            _school, kind, station = subject.split(".", 2)
            if station == self.skip:
                continue
            per.setdefault(station, []).append((kind, json.loads(payload), seq))
        added = 0
        for station, items in per.items():
            bodies = []
            for kind, body, _seq in items:
                if kind == "meta":
                    self._write_settings(station, body.get("settings", ""))
                elif kind == "subj":
                    bodies.append({"subjects": body["subjects"]})
                else:
                    bodies.append(body)
                    self.last[station] = body["event"]
            journal = self.journal(station)
            added += journal.apply(bodies, stream_seq=max(s for _k, _b, s in items))
            if self.photos is not None:
                for body in bodies:
                    await self._fetch_photo(station, body)
        if top:
            links.write_atomic(self.root / "consumed.json", json.dumps({"seq": top}).encode())
        return added

    def _write_settings(self, station: str, text: str) -> None:
        path = self.folder(station) / SETTINGS_FILE
        make_private_dirs(path.parent)
        if text and (not path.is_file() or path.read_text("utf-8") != text):
            links.write_atomic(path, text.encode())

    async def _fetch_photo(self, station: str, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        if event.get("kind") != "verdict":
            return
        verdict = Verdict.from_json(json.loads(event.get("data") or "{}"))
        rel, sha = verdict.photo, verdict.photo_sha256
        if not rel or not sha:
            return
        target = self.folder(station) / rel
        if target.is_file():
            return
        cached = self.cache / sha if self.cache is not None else None
        if cached is not None and cached.is_file():
            make_private_dirs(target.parent)
            try:
                os.link(cached, target)         # the hub's photo cache: one copy of the bytes on its disk
            except FileExistsError:
                pass
            except OSError:                     # another disk
                write_new_file(target, cached.read_bytes())
            return
        try:
            result = await self.photos.get(sha)
        except ObjectNotFoundError:
            log.warning("photo %s of %s is not on the hub", sha[:12], station)
            return
        if hashlib.sha256(result.data).hexdigest() == sha:
            make_private_dirs(target.parent)
            try:
                write_new_file(target, result.data)
            except FileExistsError:
                pass
