"""A full disk is an error message, never a traceback, and the read-only commands keep answering.

The disk is real: a 3 MB tmpfs filled with ballast (tests/small_disk.py; skipped where it cannot be mounted).
The CLI runs as a real subprocess, so what is checked is what the operator sees on the terminal.
"""
from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from config.errors import ConfigError
from config.settings import load_settings
from station.core.errors import DiskError
from station.store.diskerrors import disk_error
from station.store.workspace import Store, space_warning
from small_disk import fill, free, mounted_disk
from workspace_factory import new_workspace

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages

ROOT = Path(__file__).resolve().parents[1]


def station(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "station.cli.main", "-w", str(ws), *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    yield from mounted_disk(tmp_path / "disk")


def test_disk_errors_map_to_one_line_with_a_hint(tmp_path: Path) -> None:
    full = disk_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path)
    assert isinstance(full, DiskError) and str(tmp_path) in str(full) and full.hint
    assert isinstance(disk_error(OSError(errno.EROFS, "Read-only file system"), tmp_path), DiskError)
    assert isinstance(disk_error(OSError(errno.EIO, "Input/output error"), tmp_path), DiskError)
    assert isinstance(disk_error(sqlite3.OperationalError("database or disk is full"), tmp_path), DiskError)
    assert disk_error(FileExistsError(errno.EEXIST, "exists"), tmp_path) is None      # not a disk problem
    assert disk_error(sqlite3.OperationalError("no such table: x"), tmp_path) is None  # a bug stays a bug


def test_on_a_full_disk_reads_answer_and_writes_say_why(disk: Path) -> None:
    ws = disk / "ws"
    assert station(ws, "init", "--camera", "virtual").returncode == 0
    assert station(ws, "checkin", "CJM-FULL-1").returncode == 0
    first = station(ws, "capture", "--json")
    assert first.returncode == 0, first.stderr
    acknowledged = json.loads(first.stdout)
    fill(disk)

    status = station(ws, "status", "--json")
    assert status.returncode == 0, status.stderr
    state = json.loads(status.stdout)
    assert state["readonly"] == str(disk_error(OSError(errno.ENOSPC, ""), ws / "journal.sqlite3"))
    assert state["colleges"][0]["shot"] == 1 and state["free_space"][0]["low"]
    for read_only in (("status",), ("review",), ("report",)):
        done = station(ws, *read_only)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (read_only, done.stderr)

    for write in (("checkin", "CJM-FULL-2"), ("capture",), ("skip",)):
        done = station(ws, *write)
        assert "Traceback" not in done.stderr, (write, done.stderr)
        assert done.returncode == 1, (write, done.stderr)
        message = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        assert len(message) == 1 and str(ws) in message[0], (write, done.stderr)
        assert "  hint: " in done.stderr

    free(disk)
    with Store.open(ws) as store:     # nothing acknowledged was lost, and the workspace works again
        take = store.take(acknowledged["take"])
        assert (ws / take.primary.file).read_bytes() and take.primary.sha256 == acknowledged["sha256"]
        assert store.readonly_reason is None
    again = station(ws, "capture", "--json")
    assert again.returncode == 0, again.stderr
    assert not list((ws / "originals").rglob(".*.tmp"))


def test_a_capture_that_runs_out_of_space_leaves_nothing_half_written(disk: Path) -> None:
    ws = disk / "ws"
    assert station(ws, "init", "--camera", "virtual").returncode == 0
    assert station(ws, "checkin", "CJM-FULL-1").returncode == 0
    fill(disk, leave=120_000)       # room for the journal's growth, not for a frame and its render
    tries = [station(ws, "capture", "--json") for _ in range(3)]
    for done in tries:
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, 1)
    with Store.open(ws) as store:
        stored = {t.primary.file for t in store.takes()}
        report = store.reconcile()
        assert report.temp_files == () and report.orphans == ()
        assert all((ws / rel).is_file() for rel in stored)


def test_free_space_threshold_comes_from_station_toml(tmp_path: Path) -> None:
    store = new_workspace(tmp_path / "ws")
    store.close()
    settings = load_settings(tmp_path / "ws")
    assert settings.safety.min_free_mb == 500
    toml = tmp_path / "ws" / "station.toml"
    toml.write_text(toml.read_text("utf-8").replace("min_free_mb = 500", "min_free_mb = 100000000"), "utf-8")
    with Store.open(tmp_path / "ws") as store:
        warning = store.space_warning()
        assert warning and "100000000" in warning
    status = station(tmp_path / "ws", "status")
    # the free megabytes move while other programs write: compare the message around the number
    head, tail = warning.split(" MB", 1)[0].rsplit(" ", 1)[0], warning.split(" MB", 1)[1]
    assert status.returncode == 0 and head in status.stderr and tail in status.stderr
    toml.write_text(toml.read_text("utf-8").replace("min_free_mb = 100000000", "min_free_mb = 0"), "utf-8")
    assert space_warning(tmp_path / "ws", load_settings(tmp_path / "ws")) is None
    toml.write_text(toml.read_text("utf-8").replace("min_free_mb = 0", "min_free_mb = -5"), "utf-8")
    with pytest.raises(ConfigError, match="min_free_mb"):
        load_settings(tmp_path / "ws")
