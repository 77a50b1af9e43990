"""Pipeline speed on DSLR-sized frames: bytes -> verdict and bytes -> finished photo, single process.

Frames are generated 6000x4000 portraits (no team fixtures needed); the RAW figure uses a genuine DNG
(Bayer mosaic written by pidng) of a 6000x4000 generated frame. Prints median, p95 and peak memory.
Run: .venv/bin/python bench/bench_pipeline.py [--runs N]
"""
from __future__ import annotations

import argparse
import io
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from _stats import pct  # bench/ is on sys.path when a script here runs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pipeline  # noqa: E402
from config.formats import load_preset  # noqa: E402
from pipeline.synthetic import portrait  # noqa: E402


def timed(fn, frames: list[bytes], runs: int) -> list[float]:
    out = []
    for i in range(runs):
        data = frames[i % len(frames)]
        t = time.perf_counter()
        fn(data)
        out.append((time.perf_counter() - t) * 1000)
    return out


def report(label: str, ms: list[float]) -> None:
    print(f"{label:44} median {statistics.median(ms):7.1f} ms   p95 {pct(ms, 0.95):7.1f} ms   (n={len(ms)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--distinct", type=int, default=8, help="distinct generated frames to cycle through")
    args = parser.parse_args()
    preset = load_preset("chsi-2017")
    print(f"generating {args.distinct} frames of 6000x4000 ...", flush=True)
    frames = [portrait(seed, width=6000, height=4000, quality=92).jpeg for seed in range(args.distinct)]
    print(f"frame size: {statistics.mean(len(f) for f in frames) / 1e6:.2f} MB JPEG on average")
    pipeline.process(frames[0], preset)                     # load the face models once (not timed)
    report("JPEG 6000x4000: bytes -> verdict", timed(lambda d: pipeline.process(d, preset, render=False), frames, args.runs))
    photos = []
    report("JPEG 6000x4000: bytes -> finished photo", timed(
        lambda d: photos.append(pipeline.process(d, preset).photo), frames, args.runs))
    ok = sum(p is not None for p in photos)
    print(f"  photos made: {ok}/{len(photos)}")
    report("finished photo: validate", timed(lambda d: pipeline.validate(d, preset), [p for p in photos if p], args.runs))
    shared = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "frames"
    if shared.is_dir():                      # team fixtures: real faces, ~1 MB JPEGs (read, never copied)
        real = [p.read_bytes() for p in sorted(shared.glob("*.jpg"))]
        print(f"team fixture frames: {len(real)}, {statistics.mean(len(f) for f in real) / 1e6:.2f} MB JPEG on average")
        report("fixtures 6000x4000: bytes -> verdict", timed(lambda d: pipeline.process(d, preset, render=False), real, len(real)))
        report("fixtures 6000x4000: bytes -> photo (or refusal)", timed(lambda d: pipeline.process(d, preset), real, len(real)))
    jpeg_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory after the JPEG runs (ru_maxrss): {jpeg_peak:.0f} MB")

    from importlib.util import find_spec
    if find_spec("pidng") is not None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from test_pipeline import _bayer_dng
        rgb = np.asarray(Image.open(io.BytesIO(frames[0])).convert("RGB"))
        with tempfile.TemporaryDirectory() as tmp:
            dng = _bayer_dng(Path(tmp), rgb)
        print(f"DNG: {len(dng) / 1e6:.1f} MB, no embedded preview (pidng writes none): half-size demosaic")
        report("DNG 6000x4000: bytes -> verdict", timed(lambda d: pipeline.process(d, preset, render=False), [dng], 5))
        report("DNG 6000x4000: bytes -> finished photo", timed(lambda d: pipeline.process(d, preset), [dng], 5))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory after the RAW runs (ru_maxrss): {peak:.0f} MB (full 6000x4000 demosaic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
