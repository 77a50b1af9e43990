"""Figures the benchmark scripts print the same way: percentiles and one line per measure."""
from __future__ import annotations

import statistics


def pct(values: list[float], q: float) -> float:
    """The q-quantile by nearest rank (p95 = pct(values, 0.95))."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def show(label: str, seconds: list[float], width: int = 48) -> None:
    """`label  n=..  median .. ms  p95 .. ms  max .. ms` from durations in seconds."""
    ms = [s * 1000 for s in seconds]
    print(f"{label:{width}s} n={len(ms):3d}  median {statistics.median(ms):7.1f} ms  p95 {pct(ms, 0.95):7.1f} ms"
          f"  max {max(ms):7.1f} ms")
