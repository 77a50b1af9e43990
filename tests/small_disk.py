"""A small real disk for disk-full tests: a tmpfs mounted for one test (root only; skipped elsewhere).

`fill(disk, leave=N)` fills it with a ballast file until N bytes are left, `free(disk)` removes the ballast.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

BALLAST = ".ballast"


def mounted_disk(folder: Path, size: str = "3m") -> Iterator[Path]:
    """Mount a tmpfs of `size` on `folder` for the caller's test; skip the test when that is not permitted."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("disk-full tests mount a tmpfs: needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(disk: Path, leave: int = 0) -> None:
    """Write ballast until only about `leave` bytes are free."""
    free = shutil.disk_usage(disk).free
    with open(disk / BALLAST, "ab") as fh:
        block = b"\0" * 65536
        want = max(0, free - leave)
        try:
            while want > 0:
                want -= fh.write(block[: min(len(block), want)])
                fh.flush()
        except OSError:
            pass


def free(disk: Path) -> None:
    (disk / BALLAST).unlink(missing_ok=True)
