"""One journal, many processes: the station's runtime (as `station console` runs it, with the console's own read
connection beside it) and the desk's CLI write the same journal; nothing either acknowledged is lost, no
shooting number is given twice, and -wal/-shm stay while anyone has the journal open (issue 20, item 1).

The long form (every two-process kill point) is in bench/bench_faults.py."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import fault_scenarios as fs
import workspace_factory as wf
from station.store import journal
from station.store.workspace import JOURNAL_FILE, Store

pytestmark = pytest.mark.usefixtures("english")


def _lock_is_free(path: Path) -> bool:
    """Whether another process could take SQLite's exclusive lock on the journal's main file right now (what a
    closing connection does before it deletes -wal/-shm). Asked from a child process: POSIX locks are per process."""
    code = ("import fcntl, os, sys\n"
            "fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "try:\n"
            "    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 1073741826)\n"   # SQLite's SHARED range
            "    print('free')\n"
            "except OSError:\n"
            "    print('held')\n")
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=30)
    return done.stdout.strip() == "free"


def test_a_second_connection_in_the_process_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    """The console opens its read connection beside the runtime's store: opening it must not drop the store's
    locks (closing any plain descriptor of the file would), or another process deletes -wal/-shm under it."""
    ws = tmp_path / "ws"
    store = wf.new_workspace(ws)
    try:
        store.check_in(store.scanned_subject("K001", college=None), scanned="K001", via="typed")
        assert not _lock_is_free(ws / JOURNAL_FILE)          # an open WAL connection holds its shared lock
        reader = journal.connect(ws / JOURNAL_FILE)         # what the console does beside the runtime
        assert not _lock_is_free(ws / JOURNAL_FILE)
        other = fs.station(ws, "checkin", "K020", "--queue", "--json")    # the desk, a process of its own
        assert other.returncode == 0, other.stderr
        assert (ws / "journal.sqlite3-wal").exists() and (ws / "journal.sqlite3-shm").exists()
        done = store.check_in(store.scanned_subject("K002", college=None), scanned="K002", via="typed")
        assert done.shoot_no == 3                             # after the desk's number 2, never a second 2
        reader.close()
    finally:
        store.close()
    with Store.open(ws) as fresh:
        assert [r.shoot_no for r in fresh.check_ins()] == [1, 2, 3]
    db = sqlite3.connect(ws / JOURNAL_FILE)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_runtime_and_desk_on_one_journal_lose_nothing_when_either_is_killed(tmp_path: Path) -> None:
    """The desk's check-in killed before its commit, later the runtime killed after its 7th acknowledgement
    (bench/bench_faults.py cuts at every point of fault_scenarios.TWO_PROCESS_POINTS)."""
    point = "cli:checkin.before_commit+runtime@7"
    out = fs.two_process_scenario(tmp_path, point)
    assert out.killed, f"{point} was never reached"
    assert out.acknowledged >= 6
    assert (out.lost, out.numbers_twice, out.wal_missing, out.reader_failed, out.tracebacks) \
        == (0, 0, 0, False, 0), out
