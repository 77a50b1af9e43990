"""Console security on a real console (runtime + virtual camera + uvicorn) spoken to over HTTP: unpaired
requests get 401 and change nothing, a PIN pairs, the one-time link pairs once, actions need the CSRF token."""
from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

from station.console.security import (BLOCKED, LOCKED, MAX_WRONG_PER_CLIENT, MAX_WRONG_TOTAL, PAIRED, WRONG,
                                       Pairing)
from tests.console_browser import frames_folder, http, running_console, station_workspace


def _events(ws: Path) -> int:
    from station.store.workspace import Store
    with Store.open(ws) as store:
        return store.latest_event_id()


@pytest.fixture
def lan_console(tmp_path: Path):
    ws, rows = station_workspace(tmp_path / "ws")
    with running_console(ws, f"virtual:{frames_folder(tmp_path / 'frames', [None])}", lan=True) as server:
        yield server, ws, rows


def test_unpaired_lan_requests_are_refused_and_change_nothing(lan_console) -> None:
    server, ws, rows = lan_console
    before = _events(ws)
    assert server.host == "0.0.0.0"
    for path in ("/api/state", "/api/review", "/api/day", "/api/roster?q=" + urllib.parse.quote(rows[0]['name']), "/take/1/photo.jpg",
                 "/live/frame", "/api/subject/1"):
        assert http(server, "GET", path)[0] == 401, path
    for body in ({"type": "scan", "code": rows[0]["code"]}, {"type": "shoot"}, {"type": "accept"}):
        assert http(server, "POST", "/api/action", body)[0] == 401
    assert http(server, "POST", "/api/export", {"outdir": "x"})[0] == 401
    status, page = http(server, "GET", "/shoot", headers={"Accept": "text/html"})
    assert status == 401 and 'id="pin"' in page                  # redirected to the pairing page
    assert _events(ws) == before
    assert not (ws / "exports").exists()


def test_pin_pairs_and_actions_need_the_csrf_token(lan_console) -> None:
    server, ws, rows = lan_console
    assert http(server, "POST", "/pair", {"pin": "not-it"})[0] == 401
    import urllib.request
    request = urllib.request.Request(server.base_url + "/pair", method="POST",
                                     data=f'{{"pin": "{server.state.pairing.pin}"}}'.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    session = cookie.split(";")[0]
    before = _events(ws)
    body = {"type": "scan", "code": rows[0]["code"]}
    assert http(server, "POST", "/api/action", body, headers={"Cookie": session})[0] == 403   # no CSRF token
    assert http(server, "POST", "/api/action", body, headers={"Cookie": session, "X-CSRF-Token": "forged"})[0] == 403
    assert _events(ws) == before
    status, page = http(server, "GET", "/shoot", headers={"Cookie": session})
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    status, answer = http(server, "POST", "/api/action", body, headers={"Cookie": session, "X-CSRF-Token": csrf})
    assert status == 200 and answer["outcome"]["status"] == "done"
    # the state a paired device gets never holds a full ID number
    runtime = server.state.runtime
    for _ in range(100):              # the snapshot after the action (published just after its Outcome)
        if runtime.snapshot().version >= answer["outcome"]["version"]:
            break
        runtime.wait_for_change(runtime.snapshot().version, timeout=0.1)
    status, state = http(server, "GET", "/api/state", headers={"Cookie": session})
    text = str(state)
    assert rows[0]["id_number"] not in text and state["snapshot"]["bound"]["id_number"].count("*") >= 8


def test_one_time_link_pairs_once(lan_console) -> None:
    server, _, _ = lan_console
    link = server.pairing_link("/desk").removeprefix(server.base_url)
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", link)
    first = conn.getresponse()
    assert first.status == 200 and first.getheader("Set-Cookie")
    assert 'content="0;url=/desk"' in first.read().decode()
    conn.request("GET", link)
    second = conn.getresponse()
    second.read()
    assert second.status == 401 and second.getheader("Set-Cookie") is None


def test_wrong_pins_lock_pairing_once_and_never_change_the_pin() -> None:
    shown: list[str] = []
    pairing = Pairing(announce=shown.append)
    pin = pairing.pin
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    for _ in range(MAX_WRONG_PER_CLIENT):
        assert pairing.try_pin(wrong, "10.0.0.9") == (None, WRONG)
    assert pairing.try_pin(pin, "10.0.0.9") == (None, BLOCKED)          # that address is out
    for n in range(MAX_WRONG_TOTAL - MAX_WRONG_PER_CLIENT):
        assert pairing.try_pin(wrong, f"10.0.1.{n}")[1] == WRONG
    assert pairing.try_pin(pin, "10.0.2.1") == (None, LOCKED) and shown == ["locked"]
    assert pairing.pin == pin
    pairing.reopen()
    assert pairing.try_pin(pin, "10.0.0.9")[1] == PAIRED


def test_pairing_page_never_redirects_off_site(lan_console) -> None:
    server, _, _ = lan_console
    link = server.pairing_link("//evil.example/x").removeprefix(server.base_url)
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", link)
    answer = conn.getresponse()
    assert answer.status == 200 and 'content="0;url=/"' in answer.read().decode()
