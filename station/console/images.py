"""The pictures of a take the console's pages show: the finished photo, the frame with its crop box and bands,
a thumbnail, and a refused take's nearest crop with how far each measure missed; cached, read through the
console's read model (its lock: Starlette serves from a pool)."""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

from config.formats import FormatPreset

log = logging.getLogger("station.console.state")     # the name these warnings always had

IMAGE_CACHE = 48


class TakeImages:
    """A take's pictures for the pages (JPEG bytes; None: no such take or picture)."""

    def __init__(self, workspace: Path, preset: FormatPreset, query: Callable[[Callable[[Any], Any]], Any],
                 lock: threading.RLock) -> None:
        self.workspace = workspace
        self.preset = preset
        self._query = query
        self._lock = lock
        self._images: OrderedDict[tuple[int, str], bytes | None] = OrderedDict()
        self._nearest: OrderedDict[tuple[int, str], Any] = OrderedDict()

    def take_image(self, take_id: int, kind: str) -> bytes | None:
        """photo: the finished 480x640 crop; frame: the whole frame with crop box and bands; thumb: small;
        nearest: a refused take's nearest crop with its bands and misses (station.console.refused)."""
        if kind == "nearest":
            found = self.take_nearest(take_id)
            return found[0] if found else None
        if kind not in ("photo", "frame", "thumb"):
            return None
        key = (take_id, kind)
        with self._lock:
            if key in self._images:
                self._images.move_to_end(key)
                return self._images[key]
        data = self._make_image(take_id, kind)
        with self._lock:
            self._images[key] = data
            while len(self._images) > IMAGE_CACHE:
                self._images.popitem(last=False)
        return data

    def take_nearest(self, take_id: int) -> tuple[bytes, list[dict[str, Any]]] | None:
        """A refused take's nearest crop (JPEG) and how far each measure missed its band (cached)."""
        key = (take_id, "nearest")
        with self._lock:
            if key in self._nearest:
                return self._nearest[key]
        found = None
        original = self._original(take_id)
        if original is not None:
            from station.console.refused import nearest_view
            try:
                view = nearest_view(original, self.preset)
            except Exception as exc:  # noqa: BLE001 - not decodable: the verdict's reasons say why
                log.warning("console: no nearest crop for take %s: %s", take_id, exc)
                view = None
            if view is not None:
                found = (view[0], [m.to_dict() for m in view[1]])
        with self._lock:
            self._nearest[key] = found
            while len(self._nearest) > IMAGE_CACHE // 4:
                self._nearest.popitem(last=False)
        return found

    def _original(self, take_id: int) -> bytes | None:
        try:
            take = self._query(lambda r: r.take(take_id))
        except Exception:  # noqa: BLE001 - no such take
            return None
        if not take.files or take.primary.kind != "jpeg":
            return None
        path = self.workspace / take.primary.file
        return path.read_bytes() if path.is_file() else None

    def _make_image(self, take_id: int, kind: str) -> bytes | None:
        from pipeline.overlay import frame_view
        try:
            take = self._query(lambda r: r.take(take_id))
        except Exception:  # noqa: BLE001 - no such take: 404
            return None
        verdict = take.verdict
        photo = verdict.photo if verdict is not None else None
        if kind == "photo":
            path = self.workspace / photo if photo else None
            return path.read_bytes() if path and path.is_file() else None
        if not take.files:
            return None
        original = (self.workspace / take.primary.file)
        if not original.is_file() or take.primary.kind != "jpeg":
            return None
        crop = verdict.crop_box if verdict is not None else None
        try:
            return frame_view(original.read_bytes(), self.preset, tuple(crop) if crop else None,
                              max_side=1200 if kind == "frame" else 320, ok=bool(verdict is not None and verdict.ok))
        except Exception as exc:  # noqa: BLE001 - not decodable: no picture, the verdict says why
            log.warning("console: no frame view for take %s: %s", take_id, exc)
            return None
