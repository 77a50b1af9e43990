"""`station demo --console` in a real browser: the real CLI in its own process (console server, runtime, the
libgphoto2 virtual camera fed by the demo's script, pipeline, face check, SQLite journal) and headless Chromium
opening the one-time link it prints. The page must show the session as it plays: a refused take with its
reason, the face check's wrong-person warning, and the final count read from the journal."""
from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.console_browser import chromium, need_browser, screenshot, wait_for

STUDENTS = 6          # plan_for(6): eyes closed (3rd), tilted (6th), the 5th student sits in for the 4th


@pytest.fixture(autouse=True)
def _browser_available() -> None:
    need_browser()


def _link(process: subprocess.Popen, lines: list[str], timeout: float = 120.0) -> str:
    """The one-time pairing link `station demo --console --no-open` prints."""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            pytest.fail("station demo --console ended early:\n" + "".join(lines))
        lines.append(line)
        found = re.search(r"(http://127\.0\.0\.1:\d+/pair\?token=\S+)", line)
        if found:
            return found.group(1)
    pytest.fail("no pairing link printed:\n" + "".join(lines))


def _shown(driver, selector: str, text: str = "", timeout: float = 120.0) -> str:
    """Wait until an element matching `selector` (containing `text`) is on the page; return its text."""
    script = (f"const hit = [...document.querySelectorAll({selector!r})]"
              f".find(e => e.textContent.includes({text!r})); return hit ? hit.textContent : null")
    return wait_for(driver, script, timeout)


def test_the_console_demo_plays_the_script_visibly_in_the_shoot_page(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "STATION_LANG": "en"}   # asserts read the English narration
    process = subprocess.Popen(
        [sys.executable, "-m", "station.cli.main", "demo", "--console", "--students", str(STUDENTS),
         "--workspace", str(ws), "--port", "0", "--no-open", "--pace", "0.8"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    try:
        link = _link(process, lines)
        with chromium(tmp_path) as driver:
            driver.get(link)                                   # pairs this browser and opens /shoot
            wait_for(driver, "return window.__console && window.__console.state !== null", 30)
            # a refused take, on screen with its reason in Chinese and English (the 3rd student's eyes closed)
            assert _shown(driver, "#verdict.fail") is not None
            reason = _shown(driver, "#reasons li.refuse", "眼睛闭合")
            assert "eyes closed" in reason
            # the face check names the student whose face it is, on the page, before the rebind
            warning = _shown(driver, '#reasons li[data-code="enrolment_of_other"]')
            assert "学籍照片" in warning and "enrolment photo" in warning
            take = driver.execute_script("return window.__console.state.snapshot.last_take.take_id")
            wait_for(driver, f"return window.__console.drawn.find(d => d.take === {take})", 30)
            shot = screenshot(driver, "demo-console", tmp_path)
            assert shot.stat().st_size > 20_000
            # the rebind is said on the page, then the final count read from the journal
            _shown(driver, "#messages li", "now belongs to")
            final = _shown(driver, "#messages li", "students accepted", timeout=180)
            assert f"{STUDENTS} of {STUDENTS} students accepted" in final
        with sqlite3.connect(ws / "journal.sqlite3") as db:
            kinds = dict(db.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall())
        assert kinds["accept"] == STUDENTS and kinds["rebind"] == 1 and kinds["reject"] >= 2
        assert sorted((ws / "exports" / "demo").glob("*/*.jpg")), "the console's export wrote no photos"
    finally:
        process.send_signal(signal.SIGINT)                     # Ctrl+C: the demo stops serving
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        lines.append(out or "")
    text = "".join(lines)
    assert process.returncode == 0, text
    assert "No.  1" in text and "stopped" in text               # narrated on the terminal, then Ctrl+C ends it
