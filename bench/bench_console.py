"""Browser console figures, measured IN the browser (headless Chromium) on a real `station console` process.

1. key in the page -> verdict photo drawn: from the keydown's timestamp to the finished photo's onload, both
   on the page's performance clock (the press, the POST, the shot on the virtual camera, the pipeline, the
   journal, the SSE push, the image fetch and decode are all inside). Goal: p95 <= 500 ms.
2. live view at 640 px with the face box and the band guides: frames drawn per second in the page (goal >= 8),
   and its latency: a frame's age when the station sent it plus the page's time to draw it (median, p95).
3. the same key -> verdict with three browsers open on the shoot page at once (all watching live view).
4. the console process's resident memory (VmHWM, its peak). Goal <= 400 MB.

Run: .venv/bin/python bench/bench_console.py [--shots 20]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import _stats  # bench/ is on sys.path when a script here runs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.console_browser import (chromium, live_folder, need_browser, station_workspace,  # noqa: E402
                                   wait_for)


def show(label: str, seconds: list[float]) -> None:
    _stats.show(label, seconds, 44)


def start_console(ws: Path, live: Path) -> tuple[subprocess.Popen, str, str, str]:
    """`station console` as a user runs it; returns the process, its URL, the one-time link and the PIN."""
    # the plain virtual camera draws a new portrait per shot (and skips the face check, which finds drawn faces
    # alike: 20 students shot from a folder of 8 drawings would each need an override for "the same face")
    proc = subprocess.Popen([str(ROOT / ".venv/bin/station"), "-w", str(ws), "console", "--camera",
                             "virtual", "--live-frames", str(live), "--no-open", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "STATION_LANG": "en"})      # the lines parsed below are English
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "one-time link" in line:
            text = "".join(lines)
            url = re.search(r"station console: (\S+)/", text).group(1)
            pin = re.search(r"PIN: (\d+)", text).group(1)
            link = re.search(r"(http://\S+/pair\?token=\S+)", text).group(1)
            return proc, url, link, pin
    proc.kill()
    raise SystemExit("the console did not start:\n" + "".join(lines))


def rss_peak_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    get = lambda key: int(re.search(rf"{key}:\s+(\d+) kB", status).group(1)) / 1024  # noqa: E731
    return get("VmRSS"), get("VmHWM")


def press(driver, key: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).send_keys(key).perform()


def key_to_verdict(driver, rows, start: int, shots: int) -> list[float]:
    """Bind a student (a scanner burst), press space, wait for the photo drawn; accept; next student."""
    times = []
    for i in range(shots):
        row = rows[(start + i) % len(rows)]
        before = driver.execute_script("return window.__console.drawn.length")
        press(driver, row["code"] + "\n")
        wait_for(driver, f"return (window.__console.state.snapshot.bound || {{}}).code === '{row['code']}'")
        time.sleep(0.3)                         # a person looks at the screen before pressing
        press(driver, " ")
        done = wait_for(driver, f"return window.__console.drawn.length > {before} && "
                                f"window.__console.drawn[window.__console.drawn.length - 1]", timeout=30)
        pressed = driver.execute_script("return window.__console.presses[window.__console.presses.length - 1]")
        times.append((done["drawn"] - pressed) / 1000)
        time.sleep(0.2)
        press(driver, "a")
        wait_for(driver, "return window.__console.state.snapshot.bound === null")
    return times


def live_latency(driver) -> list[float]:
    """Seconds from a live frame made on the station to drawn in the page (window.__console.liveLatency, ms)."""
    return [ms / 1000 for ms in driver.execute_script("return window.__console.liveLatency")]


def live_fps(driver, seconds: float = 5.0) -> float:
    wait_for(driver, "return window.__console.liveFrames > 2")
    n0 = driver.execute_script("return window.__console.liveFrames")
    t0 = time.monotonic()
    time.sleep(seconds)
    n1 = driver.execute_script("return window.__console.liveFrames")
    return (n1 - n0) / (time.monotonic() - t0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", type=int, default=20)
    args = parser.parse_args()
    need = getattr(need_browser, "__wrapped__", need_browser)
    try:
        need()
    except BaseException:  # pytest.skip outside pytest
        raise SystemExit("chromium + chromedriver needed (make install)")
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        ws, rows = station_workspace(tmp / "ws", n=60)
        for row in rows:
            row["paid"] = True
        live = live_folder(tmp / "live")
        proc, url, link, pin = start_console(ws, live)
        stack.callback(proc.wait, 10)
        stack.callback(proc.terminate)
        print(f"console {url} (pid {proc.pid}); load: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        main_browser = stack.enter_context(chromium(tmp))
        main_browser.get(link.replace("next=/shoot", "next=/shoot"))
        wait_for(main_browser, "return window.__console && window.__console.state !== null")
        fps = live_fps(main_browser)
        print(f"{'live view 640 px with guides, one browser':44s} {fps:5.1f} fps")
        show("live view frame made -> drawn in the browser", live_latency(main_browser))
        times = key_to_verdict(main_browser, rows, 0, args.shots)
        show("key -> verdict drawn in the browser", times)
        others = []
        for _ in range(2):
            other = stack.enter_context(chromium(tmp))
            other.get(url + "/shoot")
            wait_for(other, "return document.body.dataset.page === 'pair'")
            other.find_element("id", "pin").send_keys(pin + "\n")
            wait_for(other, "return document.body.dataset.page === 'shoot' && window.__console.state !== null")
            others.append(other)
        times3 = key_to_verdict(main_browser, rows, args.shots, args.shots)
        show("key -> verdict, three browsers open", times3)
        print(f"{'live view, each of three browsers':44s} " +
              " ".join(f"{live_fps(b, 3.0):5.1f}" for b in (main_browser, *others)) + " fps")
        rss, peak = rss_peak_mb(proc.pid)
        print(f"{'console process memory':44s} RSS {rss:6.1f} MB  peak {peak:6.1f} MB")


if __name__ == "__main__":
    main()
