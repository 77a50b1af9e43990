"""Pipeline speed as a multiple of the decode floor: bytes -> verdict and bytes -> finished photo.

The floor is the DCT-scaled decode of the same frame (pipeline.decode.decode_for_analysis: what any verdict
must pay before it looks at a pixel). Since the verdict round two that decode hands out libjpeg-turbo's own
array (no round trip through a Pillow image): the floor is the bare decode plus the header checks, ~10 ms
lighter than before, so verdict and photo are ~10 ms faster while their ratios to it look worse than the
earlier rounds' (which were against the heavier floor). Floor, verdict and photo are timed interleaved on
the same frames in the same run, so a busy machine slows all three alike and the ratio stays meaningful. Two runs, each in a fresh
process (thread pools are sized at import): at the default threads, and pinned to one core (taskset-like).
On two cores the verdict also decodes a DSLR frame a second time, smaller, beside its own decode (its short-range
pass and the full-range tiles run on it: pipeline/early_look.py); pinned to one core it does not.
Frames: generated 6000x4000 portraits, and the team's real 6000x4000 fixture frames when ../shared is there.
The RAW figure uses a genuine DNG (Bayer mosaic written by pidng, no embedded preview).
Run: .venv/bin/python bench/bench_pipeline.py [--rounds N] [--only default|pinned] [--no-raw]
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _stats import pct  # bench/ is on sys.path when a script here runs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_FRAMES = ROOT.parent / "shared" / "testdata" / "frames"
GOALS = {"verdict": 3.0, "photo": 3.5}


def frames(distinct: int) -> list[tuple[str, bytes]]:
    from pipeline.synthetic import portrait
    out = [(f"generated-{s}", portrait(s, width=6000, height=4000, quality=92).jpeg) for s in range(distinct)]
    if SHARED_FRAMES.is_dir():        # team fixtures: real faces, ~1 MB JPEGs (read where they lie, never copied)
        out += [(p.name, p.read_bytes()) for p in sorted(SHARED_FRAMES.glob("*.jpg"))]
    return out


def interleaved(items: list[tuple[str, bytes]], rounds: int) -> dict[str, list[float]]:
    """ms per call of floor, verdict and photo; each frame runs all three back to back, in rotating order."""
    import pipeline
    from config.formats import load_preset
    from pipeline.decode import decode_for_analysis
    preset = load_preset("chsi-2017")
    steps = {"floor": lambda d: decode_for_analysis(d),
             "verdict": lambda d: pipeline.process(d, preset, render=False),
             "photo": lambda d: pipeline.process(d, preset, render_refused=True)}
    for _, data in items[:2]:                                  # models load, caches warm (not timed)
        for fn in steps.values():
            fn(data)
    ms: dict[str, list[float]] = {k: [] for k in steps}
    ratio: dict[str, list[float]] = {"verdict": [], "photo": []}
    order = list(steps)
    for r in range(rounds):
        for i, (_, data) in enumerate(items):
            took = {}
            k = (r + i) % len(order)
            for name in order[k:] + order[:k]:
                t = time.perf_counter()
                steps[name](data)
                took[name] = (time.perf_counter() - t) * 1000
                ms[name].append(took[name])
            for name in ratio:
                ratio[name].append(took[name] / took["floor"])
    return {**ms, **{f"{k}/floor": v for k, v in ratio.items()}}


def show(mode: str, figures: dict[str, list[float]]) -> None:
    floor = statistics.median(figures["floor"])
    print(f"-- {mode}: {len(figures['floor'])} frames")
    print(f"{'':10} {'median ms':>10} {'p95 ms':>8} {'x floor':>8} {'p95/median':>11} {'per-frame ratio med/p95':>24}")
    for name in ("floor", "verdict", "photo"):
        values = figures[name]
        med, p95 = statistics.median(values), pct(values, 0.95)
        per = figures.get(f"{name}/floor")
        per_s = f"{statistics.median(per):10.2f} / {pct(per, 0.95):5.2f}" if per else ""
        print(f"{name:10} {med:10.1f} {p95:8.1f} {med / floor:8.2f} {p95 / med:11.2f} {per_s:>24}")
    for name, goal in GOALS.items():
        med = statistics.median(figures[name])
        spread = pct(figures[name], 0.95) / med
        print(f"goal {name} <= {goal}x floor and p95 <= 1.5x median: "
              f"{'MET' if med / floor <= goal and spread <= 1.5 else 'NOT MET'} ({med / floor:.2f}x, {spread:.2f})")


def child(mode: str, rounds: int, distinct: int) -> int:
    items = frames(distinct)
    figures = interleaved(items, rounds)
    show(mode, figures)
    print(f"peak memory (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


def make_dng(path: str) -> None:
    """Write the bench's DNG (own process, so its arrays do not count in the decode's peak memory)."""
    import numpy as np
    from PIL import Image

    from pipeline.synthetic import portrait
    sys.path.insert(0, str(ROOT / "tests"))
    from test_pipeline import _bayer_dng
    rgb = np.asarray(Image.open(io.BytesIO(portrait(0, width=6000, height=4000).jpeg)).convert("RGB"))
    folder = Path(path).parent
    Path(path).write_bytes(_bayer_dng(folder, rgb))


def raw_run(path: str) -> None:
    """A DNG without an embedded preview: verdict and finished photo, time and peak memory (own process)."""
    import pipeline
    from config.formats import load_preset
    preset = load_preset("chsi-2017")
    dng = Path(path).read_bytes()
    print(f"-- DNG 6000x4000 ({len(dng) / 1e6:.1f} MB), no embedded preview")
    for label, render in (("verdict", False), ("photo", True)):
        ms = []
        for _ in range(3):
            t = time.perf_counter()
            result = pipeline.process(dng, preset, render=render, render_refused=True)
            ms.append((time.perf_counter() - t) * 1000)
        print(f"DNG -> {label:8} median {statistics.median(ms):7.0f} ms  (n=3, ok={result.ok}, "
              f"photo={'yes' if result.photo else 'no'})")
    print(f"DNG peak memory (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the frames")
    parser.add_argument("--distinct", type=int, default=4, help="generated frames (besides the fixtures)")
    parser.add_argument("--only", choices=("default", "pinned"))
    parser.add_argument("--no-raw", action="store_true")
    parser.add_argument("--child", choices=("default", "pinned", "raw", "makedng"), help=argparse.SUPPRESS)
    parser.add_argument("--dng", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "makedng":
        make_dng(args.dng)
        return 0
    if args.child == "raw":
        raw_run(args.dng)
        return 0
    if args.child:
        return child(args.child, args.rounds, args.distinct)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    script = [sys.executable, str(Path(__file__).resolve()), "--rounds", str(args.rounds),
              "--distinct", str(args.distinct)]
    for mode in ("default", "pinned"):
        if args.only and mode != args.only:
            continue
        prefix = ["taskset", "-c", str(min(os.sched_getaffinity(0)))] if mode == "pinned" else []
        subprocess.run(prefix + script + ["--child", mode], check=True)
    from importlib.util import find_spec
    if not args.no_raw and find_spec("pidng") is not None:
        with tempfile.TemporaryDirectory() as tmp:
            dng = str(Path(tmp) / "frame.dng")
            subprocess.run(script + ["--child", "makedng", "--dng", dng], check=True)
            subprocess.run(script + ["--child", "raw", "--dng", dng], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
