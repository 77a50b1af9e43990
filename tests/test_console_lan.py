"""The console against a neighbour on the LAN, over real HTTP to a real `station console` process on 127.0.0.1
(other loopback source addresses stand for other machines): bounded PIN guessing with a lock that survives
kill -9, pairings that survive a restart and can be revoked, the Host header, body caps, JSON only, a local
`next`, and 1,100 half-sent requests that do not starve the paired station."""
from __future__ import annotations

import json
import signal
import socket
import stat
import time
from pathlib import Path

import pytest

from station.console.security import MAX_WRONG_PER_CLIENT, MAX_WRONG_TOTAL, PAIRING_FILE
from tests.console_browser import frames_folder, station_workspace
from tests.console_process import half_sent, start_console


@pytest.fixture
def station(tmp_path: Path):
    ws, _ = station_workspace(tmp_path / "ws")
    camera = f"virtual:{frames_folder(tmp_path / 'frames', [None])}"
    running = []

    def start(**kw):
        console = start_console(ws, camera, **kw)
        running.append(console)
        return console
    yield ws, start
    for console in running:
        console.stop(signal.SIGKILL)


def _wrong(pin: str) -> str:
    return f"{(int(pin) + 1) % 1_000_000:06d}"


def test_pin_guessing_locks_pairing_and_the_lock_and_pairings_survive_kill_9(station) -> None:
    ws, start = station
    console = start()
    status, desk = console.pair_with_pin()                     # the desk's tablet pairs first
    assert status == 200 and desk.startswith("station_session=")
    wrong = _wrong(console.pin)
    # one address: a handful of typos, then refused without being compared (even the right PIN)
    for _ in range(MAX_WRONG_PER_CLIENT):
        assert console.pair_with_pin(wrong, source="127.0.0.2")[0] == 401
    assert console.pair_with_pin(console.pin, source="127.0.0.2")[0] == 429
    # many addresses: after MAX_WRONG_TOTAL wrong PINs pairing is locked for everyone
    judged = MAX_WRONG_PER_CLIENT
    for n in range(3, 10):
        for _ in range(MAX_WRONG_PER_CLIENT):
            if judged < MAX_WRONG_TOTAL:
                assert console.pair_with_pin(wrong, source=f"127.0.0.{n}")[0] == 401
                judged += 1
    status, headers, body = console.request("POST", "/pair", {"pin": console.pin}, source="127.0.0.30")
    assert status == 423 and "锁定" in json.loads(body)["error"] and not headers.get("set-cookie")
    out = console.output_with("pairing locked")
    assert out.count("pairing locked") == 1 and out.count("PIN:") == 1      # one line each, no PIN stream
    # the file: owner-only, no session id in it
    path = ws / PAIRING_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert desk.split("=", 1)[1] not in path.read_text()
    console.stop(signal.SIGKILL)

    console = start()
    assert console.pin == json.loads(path.read_text())["pin"]           # the PIN did not change by itself
    assert console.pair_with_pin(source="127.0.0.40")[0] == 423          # still locked after kill -9
    assert console.request("GET", "/api/state", headers={"Cookie": desk})[0] == 200   # the desk still paired
    assert "pairing locked" in console.output_with("pairing locked")
    # the operator, at the station (its own browser paired by the one-time link), reopens pairing
    station_cookie, csrf = console.pair_with_link()
    status, _, body = console.request("POST", "/api/pairing", {"op": "reopen"},
                                      headers={"Cookie": desk, "X-CSRF-Token": console.csrf(desk)})
    assert status == 403                                                   # not from the desk's tablet
    status, _, body = console.request("POST", "/api/pairing", {"op": "reopen"},
                                      headers={"Cookie": station_cookie, "X-CSRF-Token": csrf})
    view = json.loads(body)
    assert status == 200 and view["locked"] is False and view["pin"] == console.pin
    status, other = console.pair_with_pin(source="127.0.0.2")             # the blocked address is forgiven too
    assert status == 200
    # the station sees three devices and revokes the last one: its cookie stops working at once
    devices = view["devices"] + [d for d in json.loads(console.request(
        "GET", "/api/pairing", headers={"Cookie": station_cookie})[2])["devices"] if d["client"] == "127.0.0.2"]
    target = next(d["device"] for d in devices if d["client"] == "127.0.0.2")
    status, _, body = console.request("POST", "/api/pairing", {"op": "revoke", "device": target},
                                      headers={"Cookie": station_cookie, "X-CSRF-Token": csrf})
    assert status == 200 and target not in body
    assert console.request("GET", "/api/state", headers={"Cookie": other})[0] == 401
    console.stop()
    console = start()
    assert console.request("GET", "/api/state", headers={"Cookie": other})[0] == 401   # revoked stays revoked
    assert console.request("GET", "/api/state", headers={"Cookie": desk})[0] == 200


def test_the_station_browser_gets_a_file_not_a_link_on_its_command_line(tmp_path: Path) -> None:
    from station.cli.commands.console import serve
    from tests.console_browser import running_console
    ws, _ = station_workspace(tmp_path / "ws")
    opened: list[str] = []

    def opener(url: str) -> bool:
        opened.append(url)
        raise KeyboardInterrupt              # leave serve() once the browser was asked to open
    with running_console(ws, f"virtual:{frames_folder(tmp_path / 'f', [None])}") as server:
        with pytest.raises(KeyboardInterrupt):
            serve(server, lan=False, no_open=False, addresses=[], opener=opener)
        assert len(opened) == 1 and opened[0].startswith("file://") and "token" not in opened[0]
        page = Path(opened[0].removeprefix("file://"))
        assert stat.S_IMODE(page.stat().st_mode) == 0o600
        link = page.read_text().split('url=')[1].split('"')[0]
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", link.removeprefix(server.base_url))
        answer = conn.getresponse()
        assert answer.status == 200 and answer.getheader("Set-Cookie")
        assert not page.exists()                  # used once, then gone


def test_hostile_requests_are_refused_before_they_cost_anything(station) -> None:
    ws, start = station
    console = start()
    status, cookie = console.pair_with_pin()
    assert status == 200
    # DNS rebinding: the right cookie under a foreign Host name
    assert console.request("GET", "/api/state", headers={"Cookie": cookie, "Host": "evil.example"})[0] == 421
    assert console.request("GET", "/api/state", headers={"Cookie": cookie, "Host": "localhost:1"})[0] == 200
    # JSON only: a text/plain or form body (what any web page can send blind) is not read as a PIN
    for kind in ("text/plain", "application/x-www-form-urlencoded"):
        status, _, _ = console.request("POST", "/pair", json.dumps({"pin": console.pin}).encode(),
                                       headers={"Content-Type": kind}, source="127.0.0.3")
        assert status == 415
    assert console.pair_with_pin(source="127.0.0.3")[0] == 200            # and it counted no wrong guess
    # next: only one of the console's own pages
    for nxt in ("/%0a/evil.example", "//evil.example", "https://evil.example", "/shoot/../..", "javascript:x"):
        status, _, body = console.request("POST", "/pair", {"pin": console.pin, "next": nxt}, source="127.0.0.4")
        assert status == 200 and json.loads(body)["next"] == "/"
        status, headers, page = console.request("GET", f"/pair?next={nxt}")
        assert "evil" not in page
    # a 1.5 GB body to /pair is refused from its header; streaming it anyway does not grow the process
    before = console.rss_mb()
    s = socket.create_connection(("127.0.0.1", console.port), timeout=10)
    s.sendall(b"POST /pair HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: 1500000000\r\n\r\n")
    assert s.recv(200).startswith(b"HTTP/1.1 413")
    try:
        chunk = b"0" * 65536
        for _ in range(800):                   # 50 MB more, as fast as the server takes it
            s.sendall(chunk)
    except OSError:
        pass                                   # the server closed the connection: the point
    s.close()
    # no length (chunked): cut off at the limit, nothing parsed
    s = socket.create_connection(("127.0.0.1", console.port), timeout=10)
    s.sendall(b"POST /pair HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n" % (8192, b" " * 8192))
    assert s.recv(200).startswith(b"HTTP/1.1 413")
    s.close()
    assert console.rss_mb() < before + 40
    assert console.request("GET", "/api/state", headers={"Cookie": cookie})[0] == 200


def test_idle_half_sent_requests_do_not_starve_the_paired_station(station) -> None:
    import resource
    ws, start = station
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 2400:
        pytest.skip("this test process needs 2,400 descriptors")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    console = start(nofile=1024)                      # a stock desktop's descriptor limit
    status, cookie = console.pair_with_pin()
    assert status == 200
    log_before = len(console.output())
    held = half_sent(console.port, 1100)
    try:
        for _ in range(3):
            status, _, body = console.request("GET", "/api/state", headers={"Cookie": cookie}, timeout=5)
            assert status == 200 and "snapshot" in body
        more = half_sent(console.port, 1100)         # a second wave: still served
        held += more
        assert console.request("GET", "/api/state", headers={"Cookie": cookie}, timeout=5)[0] == 200
    finally:
        for s in held:
            s.close()
    time.sleep(0.5)
    assert len(console.output()) - log_before < 20_000       # a few lines, not a flood
    assert console.process.poll() is None
