"""How a verdict uses the station's two cores and its memory (pipeline.runtime): the settings that keep the
verdict fast are in force in a real process running real verdicts."""
from __future__ import annotations

import os
import resource
import statistics
import sys
import threading
from pathlib import Path

import pytest

import pipeline
from config.formats import load_preset
from pipeline import early_look, faces, runtime
from pipeline.synthetic import portrait

PRESET = load_preset("chsi-2017")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")


def _thread(prefix: str) -> threading.Thread:
    (found,) = [t for t in threading.enumerate() if t.name.startswith(prefix)]
    return found


@linux_only
def test_the_tiles_run_below_the_priority_of_the_verdicts_own_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """The full-range tiles take the cores' spare time; the face parser and the calling thread keep theirs."""
    monkeypatch.setattr(early_look, "_cores", lambda: 2)            # as on a station's two cores
    result = pipeline.process(portrait(6, width=6000, height=4000).jpeg, PRESET, render=False)
    assert result.ok
    nice = lambda t: os.getpriority(os.PRIO_PROCESS, t.native_id)  # noqa: E731
    assert nice(_thread("faces-tiles")) == faces.TILES_NICE
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert nice(_thread("face-parse")) == mine and nice(_thread("faces-later")) == mine


@linux_only
def test_a_verdict_reuses_the_memory_the_last_one_freed(testdata: Path) -> None:
    """Once the pools are sized, a verdict's pictures come from memory the process already has: without the
    fixed thresholds glibc gave it back, and each verdict of these frames took ~4,300 fresh pages from the
    kernel (measured with the thresholds left out: every frame, every pass)."""
    frames = [p.read_bytes() for p in sorted((testdata / "frames").glob("*.jpg"))[:4]]
    runtime.size_pools()
    assert runtime.keep_freed_memory()
    for frame in frames:
        pipeline.process(frame, PRESET, render=False)
    taken = []
    for frame in frames:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        pipeline.process(frame, PRESET, render=False)
        taken.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    assert statistics.median(taken) < 500, taken
