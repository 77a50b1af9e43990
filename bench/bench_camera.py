"""Camera benchmark: capture-to-bytes-in-hand on libgphoto2's virtual camera, hot-folder detection latency.

Run: .venv/bin/python bench/bench_camera.py  (sets VCAMERADIR itself when unset, before gphoto2 loads).
Figures are wall-clock on whatever machine runs it; goal for the hot folder: under 300 ms after the file
is complete.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _stats import show  # bench/ is on sys.path when a script here runs


def bench_virtual(n: int = 100) -> None:
    from camera import open_camera
    from camera.generate import generated_frame
    frames = [generated_frame(i) for i in range(n)]          # made beforehand: not part of the timing
    size = statistics.median(len(f) for f in frames) / 1024
    times: list[float] = []
    with open_camera("virtual", frames=frames) as cam:
        for expected in frames:
            t0 = time.perf_counter()
            got = cam.capture(timeout=30)
            times.append(time.perf_counter() - t0)
            assert got[0].data == expected, "virtual camera returned the wrong picture"
    show(f"virtual capture -> bytes ({size:.0f} KiB JPEG)", times)


def bench_hotfolder(n: int = 30) -> None:
    from camera import open_camera
    from camera.generate import generated_frame
    data = [generated_frame(i, size=(1200, 1600)) for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        hot, staging = Path(tmp, "hot"), Path(tmp, "staging")
        hot.mkdir()
        staging.mkdir()
        renamed: list[float] = []
        in_place: list[float] = []
        with open_camera(f"hotfolder:{hot}", state_dir=Path(tmp, "state")) as cam:
            for i, payload in enumerate(data):
                atomic = i % 2 == 0
                target = hot / f"IMG_{i:04d}.JPG"
                if atomic:     # how most tethering programs save: write elsewhere, rename in
                    (staging / target.name).write_bytes(payload)
                    os.replace(staging / target.name, target)
                else:          # written in place; complete when closed
                    with open(target, "wb") as fh:
                        fh.write(payload)
                done = time.perf_counter()
                frames = cam.poll(10.0)
                (renamed if atomic else in_place).append(time.perf_counter() - done)
                assert frames and frames[0].data == payload, "hot folder returned the wrong file"
                time.sleep(0.05)
    show("hot folder: complete -> frame (renamed in)", renamed)
    show("hot folder: complete -> frame (written in place)", in_place)
    show("hot folder: complete -> frame (all)", renamed + in_place)


def main() -> int:
    if not os.environ.get("VCAMERADIR"):
        os.environ["VCAMERADIR"] = tempfile.mkdtemp(prefix="bench-vcam-")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    bench_virtual()
    bench_hotfolder()
    return 0


if __name__ == "__main__":
    sys.exit(main())
