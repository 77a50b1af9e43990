"""The fault suite's short form (CI): kill -9 at named steps of capture, ingest and export, then check that
nothing acknowledged is lost, the station goes on, and an export re-runs to the clean output.
bench/bench_faults.py runs the long form (100 points) and prints the issue's figures."""
from __future__ import annotations

from pathlib import Path

import pytest

import fault_scenarios as fs
import workspace_factory as wf

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages


@pytest.mark.parametrize("step", ["store.linked#1", "capture.before_commit", "capture.committed",
                                  "verdict.before_commit"])
def test_capture_killed_at_a_step_loses_nothing_and_never_blocks(tmp_path: Path, step: str) -> None:
    out = fs.capture_scenario(tmp_path, step)
    assert out.killed, f"{step} was never reached"
    assert (out.lost, out.stuck, out.tracebacks) == (0, False, 0), out


@pytest.mark.parametrize("step", ["ingest.handed#2", "capture.before_commit#1", "ingest.before_ack#2"])
def test_ingest_killed_at_a_step_loses_no_frame_and_stores_each_once(tmp_path: Path, step: str) -> None:
    out = fs.ingest_scenario(tmp_path, step)
    assert out.killed, f"{step} was never reached"
    assert (out.lost, out.duplicates, out.stuck, out.tracebacks) == (0, 0, False, 0), out


def test_export_steps_cover_every_rename(tmp_path: Path) -> None:
    ws = fs.export_workspace(tmp_path, students=3)
    steps = fs.export_steps(ws, tmp_path)
    # promise + 3 photos + 3 manifests + (promise + zip) per college + 4 root files (summary.csv/.json/.xlsx,
    # missing.csv) + state file
    assert len(steps) == len(fs.EXPORT_FIXED) + 2 * (1 + 3 + 3 + 2 * 3 + 4 + 1)
    clean_out = tmp_path / "clean"
    assert fs.cli(ws, "export", str(clean_out), "--zip").exit_code == 0
    clean = wf.file_hashes(clean_out)
    for step in steps[::7]:      # a spread of them here; the bench kills at every one
        out = fs.export_scenario(ws, clean, tmp_path / f"out-{step}", step)
        assert out.killed and out.identical and out.tracebacks == 0, out
