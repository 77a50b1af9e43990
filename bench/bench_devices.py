"""Device benchmark: ID-card swipe-to-event latency through a pty reader simulator; CJK font lookup.

A swipe at the desk should check the student in before the next one steps up (goal: under 1 s from the
card touching the reader, of which a real reader's own read takes roughly 0.5-1 s; the simulator answers
at once, so the figure here is the driver's share: polling interval, framing, parsing).
Run: .venv/bin/python bench/bench_devices.py [SWIPES]
"""
from __future__ import annotations

import random
import sys
import threading
import time
from pathlib import Path

from _stats import show  # bench/ is on sys.path when a script here runs

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def bench_swipes(n: int) -> None:
    from camera.idcard import CardRead, IdCardReader, ReaderReady
    from idcard_sim import ReaderSim, SimCard

    sim = ReaderSim()
    got = threading.Event()
    ready = threading.Event()

    def on_event(event: object) -> None:
        if isinstance(event, CardRead):
            got.set()
        elif isinstance(event, ReaderReady):
            ready.set()

    reader = IdCardReader(sim.path, on_event).start()       # default settings: 300 ms polling
    times: list[float] = []
    rng = random.Random(14)
    try:
        assert ready.wait(10), "reader never became ready"
        for i in range(n):
            card = SimCard(name="张三丰", id_number=f"43030219990315{i:04d}")
            got.clear()
            time.sleep(rng.uniform(0, 0.3))                      # a person's timing is not the poll's
            t0 = time.perf_counter()
            sim.present(card)
            assert got.wait(10), "no card read"
            times.append(time.perf_counter() - t0)
            sim.remove()
            target = sim.count("find", "no_card") + 2              # lifted off: the driver has seen it
            assert sim.wait_until(lambda target=target: sim.count("find", "no_card") >= target)
    finally:
        reader.stop()
        sim.close()
    show("ID card: card on reader -> CardRead (300 ms poll)", times, width=52)


def bench_font_lookup(n: int) -> None:
    from station.core import fonts
    times: list[float] = []
    for _ in range(n):
        fonts.find_cjk_face.cache_clear()
        t0 = time.perf_counter()
        face = fonts.find_cjk_face()
        times.append(time.perf_counter() - t0)
    show(f"CJK font lookup, uncached ({'bundled' if face.bundled else 'system'})", times, width=52)
    t0 = time.perf_counter()
    fonts.cjk_font(28).getbbox("张三丰 2017001")
    show("CJK font: load a size and measure a label", [time.perf_counter() - t0], width=52)


if __name__ == "__main__":
    swipes = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    bench_swipes(swipes)
    bench_font_lookup(10)
