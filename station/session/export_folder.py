"""The name of an export folder a front end asks for: letters, digits, '-' and '_' only, so a name typed on a
LAN device can never climb out of the workspace's exports/ folder; no name means the station clock's minute."""
from __future__ import annotations

from station.store.clock import Clock


def export_folder_name(name: str | None, clock: Clock) -> str:
    """The folder name to export into ('' when `name` has nothing usable: the caller refuses it)."""
    wanted = name or clock.now().strftime("%Y%m%d-%H%M")
    return "".join(ch for ch in wanted if ch.isalnum() or ch in "-_")
