"""The one fault hook of the fault-injection suite: `STATION_FAULT=step` kills the process at that step.

Tests (tests/test_faults.py, bench/bench_faults.py) run the real CLI in a subprocess with STATION_FAULT naming a
step, e.g. `capture.files_written`, or `export.after_rename#3` for its third hit; when the process reaches it,
it SIGKILLs itself, exactly like a power cut or `kill -9` there. Unset (every real run), a step costs one dict
lookup. It lives in config/ because camera/, pipeline/ and station/ may all import config/ and nothing else.
"""
from __future__ import annotations

import os
import signal

FAULT_ENV = "STATION_FAULT"
_hits: dict[str, int] = {}


def fault_point(step: str) -> None:
    """Die here (SIGKILL, no cleanup of any kind) if STATION_FAULT names this step (and this hit)."""
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition("#")
    if name != step:
        return
    _hits[step] = _hits.get(step, 0) + 1
    if _hits[step] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
