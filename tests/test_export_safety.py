"""Exports survive kill -9 anywhere, refuse a second export into the same folder, and never write through a
symbolic link. Real workspaces and photos (the real pipeline renders one portrait), the real CLI in
subprocesses killed by the fault hook (config/faults.py: STATION_FAULT names the step)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli.main import cli
import workspace_factory as wf

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages

ROOT = Path(__file__).resolve().parents[1]
ROWS = wf.roster_rows(6)          # 3 colleges x 2 students, all accepted


@pytest.fixture(scope="module")
def station_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export-safety") / "ws"
    store = wf.new_workspace(path)
    wf.populate(store, ROWS, outcome=lambda i, r: "accept", photo=wf.finished_photo(0))
    store.close()
    return path


def cli_export(ws: Path, out: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["-w", str(ws), "export", str(out), "--zip", *args], catch_exceptions=False)


def killed_export(ws: Path, out: Path, step: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STATION_FAULT": step}
    return subprocess.run([sys.executable, "-m", "station.cli.main", "-w", str(ws), "export", str(out), "--zip"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def clean(station_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("clean") / "out"
    assert cli_export(station_ws, out).exit_code == 0
    return wf.file_hashes(out)


# renames: the promise (state file), 6 photos, 3 manifests, then per zip its promise and the zip (#12 the first)
@pytest.mark.parametrize("step", ["export.promised", "export.after_rename#2", "export.before_rename#10",
                                  "export.after_rename#12", "export.after_rename#16",
                                  "export.before_state", "export.before_journal"])
def test_an_export_killed_anywhere_reruns_to_the_clean_output(station_ws: Path, clean: dict[str, str],
                                                              tmp_path: Path, step: str) -> None:
    out = tmp_path / "out"
    killed = killed_export(station_ws, out, step)
    assert killed.returncode == -9, (step, killed.stderr[-2000:])
    rerun = cli_export(station_ws, out)
    assert rerun.exit_code == 0, rerun.output
    assert wf.file_hashes(out) == clean
    hidden = [p.name for p in out.rglob(".*")]
    assert hidden == [".station-export.json"], hidden


def test_a_second_export_into_the_same_folder_is_busy(station_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from station.outputs.outdir import ExportLock
        with ExportLock(Path({str(out)!r})) as lock:
            lock.hold_root()
            print("locked", flush=True)
            sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        busy = CliRunner().invoke(cli, ["-w", str(station_ws), "export", str(out)], catch_exceptions=False)
        assert busy.exit_code == 1 and "error: " in busy.stderr and str(out) in busy.stderr
        assert list(out.iterdir()) == []
    finally:
        holder.communicate("done\n", timeout=30)
    assert cli_export(station_ws, out).exit_code == 0      # the lock goes with its process


def test_a_symlinked_college_folder_is_refused_and_nothing_is_written_outside(station_ws: Path,
                                                                             tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    college = ROWS[0]["college"]
    (out / college).symlink_to(outside, target_is_directory=True)
    refused = cli_export(station_ws, out)
    assert refused.exit_code == 1 and college in refused.stderr
    assert list(outside.iterdir()) == [] and not (out / "summary.json").exists()

    # a folder swapped for a link after a good export: still refused, still nothing outside
    (out / college).unlink()
    assert cli_export(station_ws, out).exit_code == 0
    real = tmp_path / "moved"
    (out / college).rename(real)
    (out / college).symlink_to(outside, target_is_directory=True)
    assert cli_export(station_ws, out).exit_code == 1
    assert list(outside.iterdir()) == []
