"""Accepted in another room? Asked at the scan, before the shot, from the other stations' replicas (issue 23).

A station that joined a hub keeps a read-only replica of every other station's journal; a student accepted
there is named here so the photographer does not shoot them again. With the hub out of reach the replicas
may be old, and the station says it cannot tell rather than saying nothing.
"""
from __future__ import annotations

from pathlib import Path

from config.i18n import _
from station.store import replica
from station.store.models import Subject


def accepted_elsewhere(workspace: Path, subject: Subject, *, joined: bool) -> str | None:
    """The warning for the scan outcome, or None (not joined, or not accepted anywhere and the hub is up)."""
    if not joined:
        return None
    stations = replica.accepted_at(workspace, (subject.student_no or "", subject.id_number or "", subject.code))
    if stations:
        return _("already accepted at {stations}", stations=", ".join(stations))
    status = replica.read_status(workspace)
    if status is None or status.get("state") != "connected":
        return _("hub unreachable: cannot tell whether this student was accepted in another room")
    return None


def accepted_elsewhere_keys(workspace: Path) -> set[str]:
    """Keys of the students accepted in another room, for the re-shoot lists (empty without replicas: a
    station that never joined a hub has none)."""
    return replica.accepted_keys(workspace)


def is_among(subject: Subject, keys: set[str]) -> bool:
    return any(k and k.strip() in keys for k in (subject.student_no, subject.id_number, subject.code))
