"""The console's own parts of issues 24 and 23 in real Chromium: a walk-in (现场补录) checked in from the desk
page joins the queue marked as such, a walk-in whose code the roster knows is refused in Chinese; an unpaid
student refused (station.toml blocks them) is let through with the override button and a reason; the header
says the hub cannot be reached."""
from __future__ import annotations

from pathlib import Path

import pytest

import hub_support as hs
from station.hub import server as hub_server
from tests.console_browser import chromium, frames_folder, need_browser, pair, running_console, screenshot, \
    snapshot, station_workspace, wait_for


@pytest.fixture(autouse=True)
def _browser_available() -> None:
    need_browser()


def test_walk_in_from_the_desk_unpaid_override_and_the_hub_in_the_header(tmp_path: Path, lang) -> None:
    lang("zh")
    ws, rows = station_workspace(tmp_path / "ws")
    toml = ws / "station.toml"
    toml.write_text(toml.read_text("utf-8").replace('unpaid = "warn"', 'unpaid = "block"'), "utf-8")
    hs.join(ws, hub_server.prepare(tmp_path / "nohub", listen=f"127.0.0.1:{hs.free_port()}"))   # never started
    frames = frames_folder(tmp_path / "frames", [None])
    with running_console(ws, f"virtual:{frames}", queue_mode=False) as server, chromium(tmp_path) as driver:
        from selenium.webdriver.common.by import By
        pair(driver, server, "/shoot")
        # the hub, down: said in the header, Chinese first
        wait_for(driver, "return !document.getElementById('h-hub-box').hidden")
        assert "中心：无法连接" in driver.find_element(By.ID, "h-hub").text

        # student 3 has not paid and station.toml blocks them: refused, then the override button with a reason
        box = driver.find_element(By.ID, "scan-text")
        box.send_keys(rows[2]["code"] + "\n")
        wait_for(driver, "return !document.getElementById('unpaid-bar').hidden")
        screenshot(driver, "shoot-unpaid", tmp_path)
        assert snapshot(driver)["bound"] is None
        driver.find_element(By.ID, "unpaid-override").click()
        wait_for(driver, "return document.getElementById('ask').open")
        driver.find_element(By.ID, "ask-text").send_keys("现金已缴，见收据\n")
        wait_for(driver, "return (window.__console.state.snapshot.bound || {}).subject_id === 3")
        assert driver.find_element(By.ID, "unpaid-bar").get_attribute("hidden") is not None

        # the shoot page has the walk-in form too (folded): the walk-in is bound at once, marked 现场补录
        driver.find_element(By.CSS_SELECTOR, "#s-walkin summary").click()
        for field, value in (("walkin-code", "2021888002"), ("walkin-name", "转学同学"),
                             ("walkin-college", "外国语学院")):
            driver.find_element(By.ID, field).send_keys(value)
        driver.find_element(By.ID, "walkin-submit").click()
        wait_for(driver, "return (window.__console.state.snapshot.bound || {}).walk_in === true")
        name = driver.find_element(By.ID, "s-name").text
        assert "转学同学" in name and "现场补录" in name

        # the desk: a walk-in joins the queue, marked 现场补录 on the desk and in the queue
        driver.get(server.base_url + "/desk")
        wait_for(driver, "return document.body.dataset.page === 'desk' && window.__console.state !== null")
        for field, value in (("walkin-code", "2021888001"), ("walkin-name", "补录同学"),
                             ("walkin-college", "计算机科学与工程学院"), ("walkin-class", "计科2101")):
            driver.find_element(By.ID, field).send_keys(value)
        driver.find_element(By.ID, "walkin-submit").click()
        wait_for(driver, "return document.getElementById('desk-walkin')")
        assert "现场补录" in driver.find_element(By.ID, "desk-walkin").text
        assert driver.find_element(By.ID, "desk-shootno").text.strip() not in ("", "-")
        wait_for(driver, "return (window.__console.state.snapshot.queue || []).some((q) => q.walk_in)")
        (entry,) = [q for q in snapshot(driver)["queue"] if q["walk_in"]]
        assert entry["name"] == "补录同学"
        queued = driver.find_element(By.CSS_SELECTOR, f'#queue li[data-subject="{entry["subject_id"]}"]').text
        assert "补录同学" in queued and "现场补录" in queued

        # a walk-in whose code the roster knows is refused, in Chinese, and nothing is queued
        for field, value in (("walkin-code", rows[0]["code"]), ("walkin-name", "某人"),
                             ("walkin-college", "外国语学院")):
            driver.find_element(By.ID, field).send_keys(value)
        driver.find_element(By.ID, "walkin-submit").click()
        wait_for(driver, "return document.getElementById('walkin-refused')")
        refused = driver.find_element(By.ID, "walkin-refused").text
        assert "已在名单中" in refused and "不是现场补录" in refused
        screenshot(driver, "desk-walkin", tmp_path)
        assert len(snapshot(driver)["queue"]) == 1


def test_the_id_card_readers_state_is_in_the_consoles_header(tmp_path: Path, lang) -> None:
    """`console --reader PORT` on the pty simulator: connected, a card read (its holder bound), unplugged."""
    from idcard_sim import ReaderSim
    from station.console.server import open_console
    from test_chair_reader import ROSTER, ZHANG
    from workspace_factory import new_workspace
    lang("zh")
    ws = tmp_path / "ws"
    with new_workspace(ws) as store:
        store.upsert_subjects(ROSTER, source_file="roster.xlsx")
    sim = ReaderSim()
    server = open_console(ws, camera_spec=None, port=0, reader=sim.path, announce=lambda text: None)
    try:
        with chromium(tmp_path) as driver:
            pair(driver, server, "/shoot")
            reader = "document.getElementById('h-reader').textContent"
            wait_for(driver, f"return !document.getElementById('h-reader-box').hidden && ({reader}).includes('已连接')")
            sim.present(ZHANG)
            wait_for(driver, f"return ({reader}).includes('已读卡')")
            assert snapshot(driver)["bound"]["student_no"] == "2017001"
            sim.unplug()
            wait_for(driver, f"return ({reader}).includes('未连接')")
            assert driver.execute_script("return document.getElementById('h-reader').className") == "bad"
    finally:
        server.stop()
        sim.close()
