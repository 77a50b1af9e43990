"""A real console (runtime + virtual camera + web server) and real headless Chromium for the browser tests.

Chromium and chromedriver are Debian's (`make install` adds them); nothing is downloaded. The tests skip
when they are missing. Screenshots go to $STATION_SCREENSHOTS (docs/screenshots for the README) or the
test's tmp folder, and use generated faces only.
"""
from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import pytest

from pipeline.synthetic import portrait
from tests.workspace_factory import new_workspace, roster_rows

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HEADLESS_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  "--window-size=1600,1000", "--lang=zh-CN")


def need_browser() -> None:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian chromium + chromium-driver not installed (make install adds them)")
    pytest.importorskip("selenium")


def frames_folder(folder: Path, plan: Sequence[str | None], *, seed: int = 11) -> Path:
    """JPEG frames for `virtual:DIR`, shot in this order: None = a good portrait, else a pipeline flaw."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, flaw in enumerate(plan):
        (folder / f"{i:03d}.jpg").write_bytes(portrait(seed + i, flaw=flaw).jpeg)
    return folder


def live_folder(folder: Path) -> Path:
    """Live-view frames at 960 px: off-centre, then good (the ready light must come on)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, flaw in enumerate(("off_centre", None, None, None)):
        (folder / f"live-{i:02d}.jpg").write_bytes(portrait(40, width=960, height=640, flaw=flaw).jpeg)
    return folder


def station_workspace(path: Path, n: int = 12, **settings: Any) -> tuple[Path, list[dict[str, Any]]]:
    """A workspace with a roster of `n` (student 3 has not paid)."""
    store = new_workspace(path, **settings)
    rows = roster_rows(n)
    rows[2]["paid"] = False
    store.upsert_subjects(rows, source_file="roster.xlsx")
    store.close()
    return path, rows


@contextmanager
def running_console(workspace: Path, camera: str, *, lan: bool = False, live: Path | None = None,
                    queue_mode: bool | None = None) -> Iterator[Any]:
    from station.console.server import open_console
    server = open_console(workspace, camera_spec=camera, lan=lan, port=0, live_frames=live,
                          queue_mode=queue_mode, announce=lambda text: None)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium(tmp: Path) -> Iterator[Any]:
    """A fresh headless Chromium (its own profile folder) driven by the system chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    for flag in (*HEADLESS_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def pair(driver: Any, server: Any, page: str = "/shoot") -> None:
    """Open the one-time link `station console` opens, as the station's own browser does."""
    driver.get(server.pairing_link(page))
    wait_for(driver, "return window.__console && window.__console.state !== null")


def wait_for(driver: Any, script: str, timeout: float = 20.0) -> Any:
    """Wait until `script` (JS, returns a value) is truthy in the page; return that value."""
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: d.execute_script(script))


def snapshot(driver: Any) -> dict[str, Any]:
    """The state the page was last pushed (what it rendered)."""
    return driver.execute_script("return window.__console.state.snapshot")


def screenshot(driver: Any, name: str, tmp: Path) -> Path:
    folder = Path(os.environ.get("STATION_SCREENSHOTS") or tmp)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def http(server: Any, method: str, path: str, body: dict[str, Any] | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any] | str]:
    """One plain HTTP request (no browser, no cookie unless given): what another device on the LAN sends."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text
