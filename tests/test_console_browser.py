"""The console in a real browser: headless Chromium on a real console (runtime, virtual camera, pipeline,
SQLite journal). Each test starts its own console on a fresh workspace; the frames the virtual camera returns
are chosen per test (good portraits or pipeline flaws), so every verdict on screen is the real pipeline's.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.console_browser import (chromium, frames_folder, http, live_folder, need_browser, pair, running_console,
                                   screenshot, snapshot, station_workspace, wait_for)


@pytest.fixture(autouse=True)
def _browser_available() -> None:
    need_browser()


def _keys(driver, text: str) -> None:
    """Keys typed on the page itself (not into a field), as the photographer or a scanner does."""
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).send_keys(text).perform()


def _answer(driver, text: str, *, confirm: bool = True) -> None:
    """Type into the open dialog (a reason, a roster search) and confirm it."""
    from selenium.webdriver.common.by import By
    wait_for(driver, "return document.getElementById('ask').open")
    box = driver.find_element(By.ID, "ask-text")
    box.clear()
    box.send_keys(text + ("\n" if confirm else ""))


def _take_drawn(driver, take_id: int) -> dict:
    return wait_for(driver, f"return window.__console.drawn.find(d => d.take === {take_id})")


def _journal(ws: Path, sql: str, *args):
    with sqlite3.connect(ws / "journal.sqlite3") as conn:
        return conn.execute(sql, args).fetchall()


def test_shoot_with_a_key_reject_reshoot_override_rebind_and_reload(tmp_path: Path) -> None:
    ws, rows = station_workspace(tmp_path / "ws")
    frames = frames_folder(tmp_path / "frames", [None, "eyes_closed", "eyes_closed", None])
    with running_console(ws, f"virtual:{frames}", live=live_folder(tmp_path / "live")) as server, \
            chromium(tmp_path) as driver:
        pair(driver, server)
        # a scanner types fast and ends with Enter: the student is bound
        _keys(driver, rows[0]["code"] + "\n")
        wait_for(driver, "return window.__console.state.snapshot.bound !== null")
        assert driver.find_element("id", "s-name").text == rows[0]["name"]
        masked = snapshot(driver)["bound"]["id_number"]
        assert "*" in masked and driver.find_element("id", "s-id").text == masked

        # live view is the big picture before the shot, with the ready light on once the face is in place
        wait_for(driver, "return window.__console.liveFrames >= 4")
        wait_for(driver, "return document.getElementById('ready').classList.contains('on')")
        # a key shoots; the verdict and the finished photo arrive without polling
        _keys(driver, " ")
        _take_drawn(driver, 1)
        take = snapshot(driver)["last_take"]
        assert take["take_id"] == 1 and take["status"] == "pass"
        assert "pass" in driver.find_element("id", "verdict").get_attribute("class") or \
            "warnings" in driver.find_element("id", "verdict").get_attribute("class")
        assert driver.execute_script("return document.getElementById('photo').naturalWidth") == 480
        assert driver.execute_script("return document.getElementById('guides').children.length") >= 6
        wait_for(driver, "return document.getElementById('frame').naturalWidth > 0")   # the full frame loads after
        assert driver.execute_script("return document.getElementById('live').hidden")    # the take replaced it
        screenshot(driver, "shoot", tmp_path)

        # reject with a reason, shoot again: the re-shoot is a new take of the same student
        _keys(driver, "r")
        _answer(driver, "表情不自然")
        wait_for(driver, "return window.__console.state.snapshot.last_take.decision === 'reject'")
        assert ("表情不自然",) in _journal(ws, "SELECT json_extract(data, '$.reason') FROM events WHERE kind = 'reject'")
        _keys(driver, " ")
        _take_drawn(driver, 2)
        take = snapshot(driver)["last_take"]
        assert take["status"] == "fail" and take["needs_override"] and take["croppable"]
        assert "fail" in driver.find_element("id", "verdict").get_attribute("class")
        codes = driver.execute_script("return [...document.querySelectorAll('#reasons li')].map(l => l.dataset.code)")
        assert "eyes_closed" in codes
        screenshot(driver, "shoot-refused", tmp_path)

        # plain accept is not offered for a refused take; accept with override is, and is journalled
        assert not driver.find_element("css selector", "[data-act=accept]").is_enabled()
        _keys(driver, "a")
        time.sleep(0.5)                # a single key is told from a scanner's burst after a short pause
        assert snapshot(driver)["last_take"]["decision"] is None
        _keys(driver, "o")
        _answer(driver, "学生眼睛小，复核无误")
        wait_for(driver, "return window.__console.state.snapshot.last_take.decision === 'accept'")
        [(data,)] = _journal(ws, "SELECT data FROM events WHERE kind = 'accept' AND take_id = 2")
        assert json.loads(data)["override"]["reason"] == "学生眼睛小，复核无误"

        # the next student, a take, then rebind it to the right person found by name in the roster
        _keys(driver, rows[1]["code"] + "\n")
        wait_for(driver, f"return (window.__console.state.snapshot.bound || {{}}).subject_id === 2")
        _keys(driver, " ")
        _take_drawn(driver, 3)
        _keys(driver, "u")
        _answer(driver, rows[5]["name"], confirm=False)
        wait_for(driver, "return document.querySelectorAll('#ask-list li').length === 1")
        driver.find_element("css selector", "#ask-list li").click()
        wait_for(driver, f"return window.__console.state.snapshot.last_take.subject_code === '{rows[5]['code']}'")

        # a reload mid-session shows the same state: everything is in the journal
        before = snapshot(driver)
        driver.refresh()
        wait_for(driver, "return window.__console.state !== null")
        after = snapshot(driver)
        assert after["last_take"]["take_id"] == before["last_take"]["take_id"] == 3
        assert after["bound"] == before["bound"]
        # no full ID number in the page, ever
        for row in rows:
            assert row["id_number"] not in driver.page_source


def test_desk_checks_in_from_a_second_browser_and_the_shoot_page_sees_it(tmp_path: Path) -> None:
    ws, rows = station_workspace(tmp_path / "ws")
    frames = frames_folder(tmp_path / "frames", [None])
    with running_console(ws, f"virtual:{frames}", lan=True) as server, \
            chromium(tmp_path) as station, chromium(tmp_path) as desk:
        pair(station, server, "/shoot")
        # the desk tablet pairs with the PIN shown on the station's screen
        desk.get(server.base_url.replace("127.0.0.1", "localhost") + "/desk")
        wait_for(desk, "return document.body.dataset.page === 'pair'")
        desk.find_element("id", "pin").send_keys(server.state.pairing.pin + "\n")
        wait_for(desk, "return document.body.dataset.page === 'desk' && window.__console.state !== null")

        def check_in(code: str) -> None:
            box = desk.find_element("id", "desk-code")
            box.send_keys(code + "\n")

        check_in(rows[0]["code"])
        wait_for(desk, "return document.getElementById('desk-shootno')")
        assert desk.find_element("id", "desk-shootno").text == "1"
        assert "1" in desk.find_element("id", "desk-place").text
        # the shoot page has it at once (server push), without a reload
        wait_for(station, f"return document.querySelector('#queue li[data-subject=\"1\"]')")
        check_in(rows[2]["code"])              # has not paid
        wait_for(desk, "return document.getElementById('desk-unpaid')")
        screenshot(desk, "desk", tmp_path)
        check_in("NOT-A-STUDENT-999")
        wait_for(desk, "return document.getElementById('desk-result').classList.contains('bad')")
        queue = snapshot(station)["queue"]
        assert [q["subject_id"] for q in queue] == [1, 3]
        # Next binds the first in the queue
        from selenium.webdriver.common.by import By
        station.find_element(By.TAG_NAME, "body").send_keys("n")
        wait_for(station, "return (window.__console.state.snapshot.bound || {}).subject_id === 1")


def test_review_lists_rejected_with_thumbnails_and_reshoots(tmp_path: Path) -> None:
    from tests.workspace_factory import cycle_outcomes, finished_photo, new_workspace, populate, roster_rows
    ws = tmp_path / "ws"
    store = new_workspace(ws)
    rows = roster_rows(12)
    populate(store, rows, outcome=cycle_outcomes(), photo=finished_photo())
    store.close()
    frames = frames_folder(tmp_path / "frames", [None])
    with running_console(ws, f"virtual:{frames}") as server, chromium(tmp_path) as driver:
        pair(driver, server, "/review")
        wait_for(driver, "return document.querySelectorAll('.student').length > 0")
        rejected = driver.find_elements("css selector", ".student .status.rejected")
        assert rejected
        wait_for(driver, "return [...document.querySelectorAll('.student img[src]')].every(i => i.complete && i.naturalWidth > 0)")
        screenshot(driver, "review", tmp_path)
        card = rejected[0].find_element("xpath", "..")
        subject = int(card.get_attribute("data-subject"))
        card.find_element("css selector", "[data-reshoot]").click()
        wait_for(driver, "return document.body.dataset.page === 'shoot' && window.__console.state !== null")
        assert snapshot(driver)["bound"]["subject_id"] == subject


def test_day_page_progress_and_export_with_progress_bar(tmp_path: Path) -> None:
    from tests.workspace_factory import cycle_outcomes, finished_photo, new_workspace, populate, roster_rows
    ws = tmp_path / "ws"
    store = new_workspace(ws)
    populate(store, roster_rows(12), outcome=cycle_outcomes(), photo=finished_photo())
    store.close()
    frames = frames_folder(tmp_path / "frames", [None])
    with running_console(ws, f"virtual:{frames}") as server, chromium(tmp_path) as driver:
        pair(driver, server, "/day")
        wait_for(driver, "return document.querySelectorAll('#d-table tbody tr').length === 3")
        driver.find_element("id", "export-name").send_keys("day1\n")
        wait_for(driver, "return (window.__console.state.export || {}).ok === true", timeout=60)
        assert driver.execute_script("return document.getElementById('export-bar').style.width") == "100%"
        screenshot(driver, "day", tmp_path)
        exported = list((ws / "exports" / "day1").rglob("*.jpg"))
        assert len(exported) == 6                       # the cycle accepts 3 of every 6 students
