"""An export stopped while its validation workers run leaves no worker behind (real processes).

`station export` runs in its own process on a day big enough for the worker pool; once its workers are up it
gets SIGTERM (a service stop; Ctrl+C takes the same path) or SIGKILL (kill -9: nothing of it can clean up);
every process it started must be gone soon after, and the words it leaves tell the user to run it again. A
re-export of an unchanged day validates nothing and writes nothing (results kept by sha256).
"""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import workspace_factory as wf
from station.outputs.export import PARALLEL_FROM

STATION = str(Path(sys.executable).parent / "station")


def distinct(photo: wf.Photo, index: int) -> wf.Photo:
    """The same face with one backdrop patch placed by `index` (up to 240): different bytes, still valid."""
    from PIL import Image, ImageDraw
    from pipeline.render import encode
    image = Image.open(io.BytesIO(photo.jpeg)).convert("RGB")
    x, y = 8 * (index % 40), 8 * ((index // 40) % 6)
    ImageDraw.Draw(image).rectangle((x, y, x + 7, y + 7), fill=(90, 90, 200))
    return wf.Photo(encode(image, 85, 300), photo.verdict)


@pytest.fixture(scope="module")
def big_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("signals") / "ws"
    rows = wf.roster_rows(PARALLEL_FROM + 40)
    base = wf.finished_photo(0)
    with wf.bulk():
        store = wf.new_workspace(ws)
        wf.populate(store, rows, outcome=lambda i, r: "accept", photo=lambda i, r: distinct(base, i))
        store.close()
    return ws


def _children(pid: int) -> set[int]:
    """Every live process whose parent is `pid` (zombies left to a reaper do not count)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def _wait(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_no_worker_outlives_a_stopped_export(big_day: Path, tmp_path: Path, sig: signal.Signals) -> None:
    env = {**os.environ, "STATION_LANG": "en"}
    proc = subprocess.Popen([STATION, "-w", str(big_day), "export", str(tmp_path / "out")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None, 120), "no workers started"
        assert proc.poll() is None, proc.communicate()
        workers = _children(proc.pid)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _wait(lambda: not any(_alive(w) for w in workers), 15), [w for w in workers if _alive(w)]
    if sig != signal.SIGKILL:
        assert proc.returncode == 130, err
        assert "run the same command again to finish the export" in err and "Traceback" not in err


def test_a_re_export_of_an_unchanged_day_validates_and_writes_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    store = wf.new_workspace(ws)
    wf.populate(store, wf.roster_rows(4), outcome=lambda i, r: "accept", photo=lambda i, r: wf.finished_photo(i))
    store.close()
    out = tmp_path / "out"
    first = wf.run_cli(ws, "export", str(out), "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["written"] == 4
    from station.outputs import export
    calls: list[object] = []
    real = export.validate_one
    export.validate_one = lambda job: calls.append(job) or real(job)     # type: ignore[assignment]
    try:
        again = wf.run_cli(ws, "export", str(out), "--json")
        assert calls == []                   # every photo's result was kept with it (same sha256)
        other = wf.run_cli(ws, "export", str(tmp_path / "elsewhere"), "--json")
        assert calls == [] and json.loads(other.stdout)["written"] == 4   # kept in the workspace, not OUTDIR
        with open(ws / "renders" / sorted(p.name for p in (ws / "renders").iterdir())[0], "ab") as fh:
            fh.write(b"\0")                  # a photo's bytes change: it is checked again (and refused)
        changed = wf.run_cli(ws, "export", str(out), "--json")
    finally:
        export.validate_one = real                                       # type: ignore[assignment]
    data = json.loads(again.stdout)
    assert again.exit_code == 0 and data["written"] == 0 and data["unchanged"] == 4
    assert changed.exit_code == 1 and json.loads(changed.stdout)["invalid"]


def test_a_photo_validated_when_it_was_rendered_is_not_validated_again(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    store = wf.new_workspace(ws)
    store.upsert_subjects(wf.roster_rows(2), source_file="roster.csv")
    store.close()
    for code in ("2019000001", "2019000002"):
        assert wf.run_cli(ws, "checkin", code).exit_code == 0
        assert wf.run_cli(ws, "capture", "--camera", "virtual").exit_code == 0
        assert wf.run_cli(ws, "accept").exit_code == 0
    from station.store.workspace import Store
    with Store.open(ws) as store:
        kept = [t.validation for t in store.accepted_takes()]
    assert len(kept) == 2 and all(k and k["failures"] == [] and len(k["sha256"]) == 64 for k in kept)
    from station.outputs import export
    calls: list[object] = []
    real = export.validate_one
    export.validate_one = lambda job: calls.append(job) or real(job)     # type: ignore[assignment]
    try:
        result = wf.run_cli(ws, "export", str(tmp_path / "out"), "--json")
    finally:
        export.validate_one = real                                       # type: ignore[assignment]
    assert result.exit_code == 0 and json.loads(result.stdout)["written"] == 2
    assert calls == []
