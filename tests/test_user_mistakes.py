"""Every user mistake of issue 25 item 5 ends in a translated one-line error with a hint (错误：/提示：) and a
non-zero exit, never a traceback: a camera that is not there, a doctor asked about a station whose camera is
missing, an export into a path that cannot be a folder. Real processes (the CLI as a user runs it, without the
test process's virtual camera) where the camera is involved."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def station(ws: Path, *args: str, virtual: bool = True) -> subprocess.CompletedProcess[str]:
    """`station -w WS ARGS` in Chinese; `virtual=False` runs without libgphoto2's virtual camera (no camera)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STATION_LANG": "zh"}
    if not virtual:
        env.pop("VCAMERADIR", None)
    return subprocess.run([sys.executable, "-m", "station.cli.main", "-w", str(ws), *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def assert_translated_refusal(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "错误：" in result.stderr and "提示：" in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr + result.stdout, result.stderr + result.stdout


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert station(ws, "init", "--station-id", "A1").returncode == 0
    return ws


def test_capture_with_no_camera_plugged_in_says_so_in_chinese(ws: Path) -> None:
    assert station(ws, "checkin", "202201010001").returncode == 0
    result = station(ws, "capture", "--camera", "gphoto", virtual=False)
    assert_translated_refusal(result, "未找到相机", "station cameras")
    assert "WARNING" not in result.stderr        # no raw log line before the error


def test_doctor_does_not_say_ready_when_the_configured_camera_is_missing(ws: Path) -> None:
    result = station(ws, "doctor", virtual=False)
    assert result.returncode == 1, result.stdout
    assert "可以拍摄" not in result.stdout
    assert "未检测到相机，而 station.toml 设置的相机是 gphoto" in result.stdout
    assert "1 个问题妨碍拍摄" in result.stdout


def test_doctor_on_a_hot_folder_station_needs_its_folder_not_a_camera(ws: Path) -> None:
    settings = ws / "station.toml"
    folder = ws.parent / "tether"
    settings.write_text(settings.read_text().replace('spec = "gphoto"', f'spec = "hotfolder:{folder}"'))
    missing = station(ws, "doctor", virtual=False)
    assert missing.returncode == 1 and f"热文件夹 {folder}（station.toml 中设置）不存在" in missing.stdout
    folder.mkdir()
    present = station(ws, "doctor", virtual=False)
    assert f"正常  相机: 热文件夹 {folder}" in present.stdout


@pytest.mark.parametrize("where", ["under-a-file", "sys"])
def test_export_into_a_path_that_cannot_be_a_folder(ws: Path, where: str) -> None:
    if where == "under-a-file":
        blocker = ws.parent / "afile"
        blocker.write_text("not a folder")
        target, words = blocker / "out", ("路径中有一段是文件",)
    else:
        target, words = Path("/sys/station-export"), ("/sys/station-export",)
    assert_translated_refusal(station(ws, "export", str(target)), *words)


def test_console_on_a_port_another_program_holds(ws: Path) -> None:
    import socket
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        port = holder.getsockname()[1]
        result = station(ws, "console", "--port", str(port), "--no-open", "--camera", "virtual")
    finally:
        holder.close()
    assert_translated_refusal(result, f"127.0.0.1:{port}", "--port")
    assert "ERROR" not in result.stderr              # no server log line before the one-line error


def test_a_capture_prints_no_runtime_chatter(ws: Path) -> None:
    """The face models' runtime announces its CPU delegate on the native stderr: not a line for the operator."""
    assert station(ws, "checkin", "202201010001").returncode == 0
    shot = station(ws, "capture", "--camera", "virtual")
    assert shot.returncode == 0, shot.stderr
    assert "XNNPACK" not in shot.stderr and "INFO" not in shot.stderr, shot.stderr
