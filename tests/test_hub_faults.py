"""The hub's faults with the real nats-server binary on 127.0.0.1, processes killed by pid.

Each test checks what a coordinator would count: every journal event of the station is on the hub exactly once
and in order (0 acknowledged lost, 0 duplicated), after the fault, without anybody doing anything.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import hub_support as hs
import workspace_factory as wf
from station.hub import link, replicator, server
from station.store.replica import latest_event_id, open_reader
from workspace_factory import run_cli

pytestmark = pytest.mark.usefixtures("english")
#: the long ones (a hub killed mid-stream, a station offline for a slot) run in `make fuzz` (HUB_FAULTS=1)
long_fault = pytest.mark.skipif(not os.environ.get("HUB_FAULTS"), reason="long hub fault: make fuzz runs it")


def _station(path: Path, sid: str, students: int, first: int = 0) -> Path:
    rows = wf.roster_rows(students, first_student_no=2019000001 + first)
    with wf.bulk():
        store = wf.new_workspace(path, sid)
        wf.fast_journal(store)
        wf.populate(store, rows, outcome=wf.cycle_outcomes(), photo=wf.finished_photo(first % 3))
        store.close()
    return path


def _more(path: Path, students: int, first: int) -> None:
    """The station goes on shooting (a new batch of students)."""
    from station.store.workspace import Store
    rows = wf.roster_rows(students, first_student_no=2019100001 + first)
    with wf.bulk():
        store = Store.open(path)
        wf.populate(store, rows, outcome=wf.cycle_outcomes(), photo=wf.finished_photo(1))
        store.close()


def _events(ws: Path) -> int:
    conn = open_reader(ws / "journal.sqlite3")
    try:
        return latest_event_id(conn)
    finally:
        conn.close()


def _all_once(hub: server.HubSetup, ws: Path, sid: str) -> None:
    assert hs.stream_ids(hub, sid) == list(range(1, _events(ws) + 1))


@long_fault
def test_the_hub_killed_mid_stream_loses_nothing_and_stations_catch_up_by_themselves(tmp_path: Path) -> None:
    hub, sup = hs.start_hub(tmp_path / "hub")
    ws = _station(tmp_path / "a1", "A1", 120)
    hs.join(ws, hub)
    rep = replicator.ReplicatorThread(ws).start()
    try:
        hs.wait_for(lambda: link.acked(ws) > 100, step=0.01)
        killed = sup.pid
        os.kill(killed, signal.SIGKILL)            # mid-stream: acks were in flight
        hs.wait_for(lambda: sup.pid != killed and sup.restarts == 1)
        hs.wait_for(lambda: hs.synced(ws), timeout=60)
    finally:
        rep.stop()
        sup.stop()
    hub, sup = hs.start_hub(tmp_path / "hub")      # read back after a clean restart: what was acked is on disk
    try:
        _all_once(hub, ws, "A1")
    finally:
        sup.stop()


@long_fault
def test_a_station_offline_shoots_on_and_catches_up_without_loss_or_duplicates(tmp_path: Path) -> None:
    hub, sup = hs.start_hub(tmp_path / "hub")
    ws = _station(tmp_path / "b1", "B1", 30)
    hs.join(ws, hub)
    rep = replicator.ReplicatorThread(ws).start()
    try:
        hs.wait_for(lambda: hs.synced(ws))
        sup.stop()                                  # the uplink is gone for a college's slot
        before = _events(ws)
        _more(ws, 60, 0)                            # the station shoots on
        assert _events(ws) > before
        hs.wait_for(lambda: replicator.describe(ws, probe=False)["state"] == "unreachable")
        waiting = _events(ws) - before
        assert f"hub: unreachable, {waiting} waiting" in run_cli(ws, "status").output
        sup = server.Supervisor(hub)                # back again, same address, same data
        sup.start()
        hs.wait_for(lambda: hs.synced(ws), timeout=60)
        _all_once(hub, ws, "B1")
    finally:
        rep.stop()
        sup.stop()


def test_a_station_killed_between_publish_and_recording_the_ack_resends_without_duplicates(tmp_path: Path) -> None:
    hub, sup = hs.start_hub(tmp_path / "hub")
    try:
        ws = _station(tmp_path / "c1", "C1", 40)
        hs.join(ws, hub)
        env = {**os.environ, "STATION_FAULT": "hub.published"}
        done = subprocess.run([sys.executable, "-m", "station.cli.main", "-w", str(ws), "hub", "sync"], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == -signal.SIGKILL
        sent = len(hs.stream_ids(hub, "C1"))
        assert link.acked(ws) < sent               # the hub has more than the station knows it has
        rep = replicator.ReplicatorThread(ws).start()
        try:
            hs.wait_for(lambda: hs.synced(ws), timeout=60)
        finally:
            rep.stop()
        _all_once(hub, ws, "C1")
    finally:
        sup.stop()


@long_fault
def test_the_hubs_disk_full_stations_keep_shooting_and_the_hub_says_why(tmp_path: Path) -> None:
    import small_disk
    disk_iter = small_disk.mounted_disk(tmp_path / "disk", "24m")
    disk = next(disk_iter)
    said: list[str] = []
    try:
        hub, sup = hs.start_hub(disk / "hub")
        sup.on_event = said.append
        ws = _station(tmp_path / "e1", "E1", 10)
        hs.join(ws, hub)
        rep = replicator.ReplicatorThread(ws).start()
        try:
            hs.wait_for(lambda: hs.synced(ws))
            small_disk.fill(disk, leave=0)
            _more(ws, 20, 0)                            # the station shoots on: nothing waits for the hub
            hs.wait_for(lambda: any("its disk is full" in text for text in said))
            info = hs.wait_for(lambda: (lambda i: i if i["state"] == "unreachable" else None)(
                replicator.describe(ws, probe=False)))
            assert "does not accept events" in info["problem"] and info["waiting"] > 0
            small_disk.free(disk)                       # room again: the hub restarts its server by itself
            hs.wait_for(lambda: hs.synced(ws), timeout=60)
            _all_once(hub, ws, "E1")
        finally:
            rep.stop()
            sup.stop()
    finally:
        next(disk_iter, None)
