"""Pairing a person can follow, in real Chromium on a real console: the station's own page shows the PIN and a
QR code of the pairing address (a phone camera reads it), a second browser pairs by typing that PIN, the
station's desk lists both devices and revokes the second, and the PIN changes only when the operator asks.
The station's browser pairs the way `station console` opens it: from the owner-only file, never a link in argv."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.console_browser import (chromium, frames_folder, need_browser, running_console, screenshot,
                                   station_workspace, wait_for)


@pytest.fixture(autouse=True)
def _browser_available() -> None:
    need_browser()


def _qr_text(driver) -> str:
    """Decode the QR code as drawn on the page (a screenshot of the element, read by OpenCV)."""
    import cv2
    png = driver.find_element("id", "pair-qr").screenshot_as_png
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    image = cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return text


def test_station_page_shows_pin_and_qr_and_the_desk_revokes_a_device(tmp_path: Path) -> None:
    ws, _ = station_workspace(tmp_path / "ws")
    with running_console(ws, f"virtual:{frames_folder(tmp_path / 'f', [None])}") as server, \
            chromium(tmp_path) as station, chromium(tmp_path) as tablet:
        pin = server.state.pairing.pin
        # the station's browser opens the owner-only file `station console` hands it (no link on a command line)
        station.get(server.open_file("/desk").as_uri())
        wait_for(station, "return window.__console && window.__console.state !== null")
        assert station.execute_script("return document.body.dataset.page") == "desk"
        assert not (ws / "console-open.html").exists()                # used once, then gone
        assert wait_for(station, "return document.getElementById('pair-pin').textContent") == pin
        assert wait_for(station, "const c = document.getElementById('h-pin'); return c && !c.hidden && c.textContent"
                        ).endswith(pin)
        wait_for(station, "const q = document.getElementById('pair-qr'); return q.complete && q.naturalWidth > 0")
        assert _qr_text(station) == f"{server.base_url}/pair"
        # the tablet types the PIN it reads there
        tablet.get(server.base_url + "/desk")
        wait_for(tablet, "return document.body.dataset.page === 'pair'")
        tablet.find_element("id", "pin").send_keys(pin + "\n")
        wait_for(tablet, "return document.body.dataset.page === 'desk' && window.__console.state !== null")
        assert not tablet.find_elements("id", "pair-pin")          # the PIN is the station's to show, not the tablet's
        assert tablet.find_elements("id", "h-pin") == []
        # the station's desk lists both; it revokes the tablet
        wait_for(station, "return document.querySelectorAll('#devices li').length === 2", timeout=15)
        screenshot(station, "console-pairing", tmp_path)
        station.find_element("css selector", "#devices button[data-revoke]").click()
        wait_for(station, "return document.querySelectorAll('#devices li').length === 1")
        tablet.refresh()
        wait_for(tablet, "return document.body.dataset.page === 'pair'")
        # the PIN stayed the same through all of this; it changes when the operator asks, and the old one is dead
        assert server.state.pairing.pin == pin
        station.find_element("id", "pair-renew").click()
        new = wait_for(station, f"const p = document.getElementById('pair-pin').textContent; "
                                f"return p !== '{pin}' && p")
        assert new == server.state.pairing.pin
        assert server.state.pairing.pair_with_pin(pin, "127.0.0.5") is None
