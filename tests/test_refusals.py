"""The small refusals of issue 11 (items 6 and 12): a damaged frame, a loose workspace folder, hostile photo
submissions and a 1x60000 crop are each a clear message, never a traceback, and nothing good is lost."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import hostile_images as hi
from station.cli.main import cli
from station.store.workspace import Store
from test_report_helpers import new_workspace, roster_row, submission_jpeg

ROOT = Path(__file__).resolve().parents[1]


def station(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "station.cli.main", "-w", str(ws), *args], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=120)


def test_a_damaged_frame_is_refused_by_its_verdict_and_kept(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    damaged = hi.grey_fill(hi.jpeg(1, (640, 480), noise=6), 0.55)      # cut at 55%, end marker put back
    (frames / "IMG_0001.JPG").write_bytes(damaged)
    ws = tmp_path / "ws"
    assert station(ws, "init").returncode == 0
    assert station(ws, "checkin", "CJM-DAMAGED").returncode == 0
    shot = station(ws, "capture", "--camera", f"virtual:{frames}", "--json")
    assert "Traceback" not in shot.stderr, shot.stderr
    assert shot.returncode == 0, shot.stderr
    result = json.loads(shot.stdout)
    assert result["ok"] is False and [r["code"] for r in result["reasons"]] == ["damaged_image"]
    assert hashlib.sha256((ws / result["file"]).read_bytes()).hexdigest() == result["sha256"]
    with Store.open(ws) as store:
        assert store.take(result["take"]).verdict.photo is None     # no finished photo to export


def test_a_workspace_folder_others_can_read_is_tightened_at_init(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    os.chmod(ws, 0o755)
    done = station(ws, "init")
    assert done.returncode == 0
    assert stat.S_IMODE(ws.stat().st_mode) == 0o700
    assert str(ws) in done.stderr and "0755" in done.stderr


def test_import_photos_refuses_bombs_and_impossible_shapes_and_goes_on(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with new_workspace(ws) as store:
        store.upsert_subjects([roster_row("2019001", "张伟", "文学院", "一班", True, 0)], source_file="roster.csv")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    base = hi.jpeg(1, (640, 480))
    hostile = {"bomb.jpg": hi.jpeg_with_size(base, 50000, 50000), "big.jpg": hi.jpeg_with_size(base, 20000, 12000),
               "strip.jpg": hi.strip_shape(1, 60000), "cut.jpg": hi.grey_fill(base)}
    for name, data in hostile.items():
        (inbox / name).write_bytes(data)
    (inbox / "学校19届研究生2019001张伟.jpg").write_bytes(submission_jpeg(3))
    result = CliRunner().invoke(cli, ["-w", str(ws), "import-photos", str(inbox), "--json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output          # some files refused (0 only with --partial-ok)
    report = {f["file"]: f for f in json.loads(result.stdout)["files"]}
    for name in hostile:
        assert report[name]["status"] == "refused" and report[name]["reason"], name
    assert "50000x50000" in report["bomb.jpg"]["reason"] and "20000x12000" in report["big.jpg"]["reason"]
    assert "1x60000" in report["strip.jpg"]["reason"]
    assert report["学校19届研究生2019001张伟.jpg"]["status"] == "imported"


def test_crop_of_a_1x60000_strip_is_a_clean_error(tmp_path: Path) -> None:
    strip = tmp_path / "strip.jpg"
    strip.write_bytes(hi.strip_shape(1, 60000))
    ws = tmp_path / "ws"
    assert station(ws, "init").returncode == 0
    done = station(ws, "crop", str(strip), "--out", str(tmp_path / "out"))
    assert "Traceback" not in done.stderr and done.returncode == 1
    assert "1x60000" in done.stdout + done.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
