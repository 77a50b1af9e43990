"""Find programs that are known to grab a USB camera (the usual cause of libgphoto2 error -53).

Reads /proc directly so it costs nothing and needs no extra package; on systems without /proc it finds none.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: substrings of a command line that mean "this program claims cameras"
KNOWN_HOLDERS = ("gvfs-gphoto2-volume-monitor", "gvfsd-gphoto2", "gvfs-mtp-volume-monitor", "gvfsd-mtp",
                 "shotwell", "darktable", "entangle", "digikam", "gphoto2 ", "rapid-photo-downloader",
                 "kamerad", "kio_kamera")


@dataclass(frozen=True)
class Holder:
    pid: int
    name: str       # the matching known holder
    cmdline: str


def find_holders(proc: Path = Path("/proc")) -> list[Holder]:
    """Processes (other than this one) whose command line names a known camera-grabbing program."""
    found: list[Holder] = []
    try:
        entries = list(proc.iterdir())
    except OSError:
        return found
    me = os.getpid()
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        cmd = raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()
        if not cmd:
            continue
        first = cmd.split(" ", 1)[0].rsplit("/", 1)[-1]
        for name in KNOWN_HOLDERS:
            # match the program itself, not e.g. an editor with a file of that name open
            if name.strip() == first or (name in cmd and name.strip() in first):
                found.append(Holder(pid=int(entry.name), name=name.strip(), cmdline=cmd))
                break
    return found
