"""The gphoto backend against libgphoto2's real virtual camera (VCAMERADIR is set by conftest)."""
from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from camera import CameraError, Frame, open_camera
from camera.vfeed import MIN_CAPACITY


def jpeg(n: int, size: tuple[int, int] = (64, 48), noise: bool = False) -> bytes:
    """A small JPEG whose bytes depend on n (distinct pictures)."""
    import numpy as np
    rng = np.random.default_rng(n)
    if noise:
        arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    else:
        arr = np.full((size[1], size[0], 3), (n * 7 % 256, n * 13 % 256, n * 29 % 256), dtype=np.uint8)
        arr[n % size[1], :, :] = 255
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_open_reads_identity_and_settings() -> None:
    with open_camera("virtual", frames=[jpeg(1)]) as cam:
        health = cam.health()
        assert health.ok and health.model == "Nikon DSC D750" and health.battery == "50%"
        settings = cam.get_settings()
        assert settings["aperture"] == "f/2.8"
        assert "shutter" in settings and "capturetarget" in settings
        cam.set_setting("aperture", "f/4")
        assert cam.get_settings()["aperture"] == "f/4"
        with pytest.raises(CameraError) as err:
            cam.set_setting("aperture", "f/99")
        assert "f/2.8" in (err.value.hint or "")


def test_sixty_captures_distinct_and_in_order() -> None:
    frames = [jpeg(i) for i in range(60)]
    assert len(set(frames)) == 60
    with open_camera("virtual", frames=frames) as cam:
        got: list[Frame] = []
        for _ in range(60):    # crosses the 26-captures-per-object limit twice
            shot = cam.capture(timeout=30)
            assert len(shot) == 1
            got.append(shot[0])
    assert [f.data for f in got] == frames
    assert all(f.kind == "jpeg" and f.source == "trigger" and f.captured_at.tzinfo for f in got)
    assert all(f.model == "Nikon DSC D750" and f.serial for f in got)


def test_frame_bigger_than_capacity_is_returned_whole() -> None:
    big = jpeg(7, size=(900, 700), noise=True)
    assert len(big) > MIN_CAPACITY
    frames = [jpeg(1), big, jpeg(2)]
    with open_camera("virtual", frames=frames) as cam:
        assert [cam.capture(timeout=30)[0].data for _ in frames] == frames


def test_shutter_button_frame_arrives_through_poll() -> None:
    frames = [jpeg(1), jpeg(2), jpeg(3)]
    with open_camera("virtual", frames=frames) as cam:
        assert cam.capture(timeout=30)[0].data == frames[0]
        assert cam.poll(0.2) == []
        cam.set_setting("opcode", "0x9999,0x0,0x64")   # the body's shutter, 100 ms later
        deadline = time.monotonic() + 20
        arrived: list[Frame] = []
        while not arrived and time.monotonic() < deadline:
            arrived = cam.poll(1.0)
        assert [(f.source, f.data) for f in arrived] == [("button", frames[1])]
        assert cam.capture(timeout=30)[0].data == frames[2]


def test_virtual_dir_in_name_order_cycles(tmp_path) -> None:
    pics = {name: jpeg(i) for i, name in enumerate(["b.jpg", "a.jpg", "c.JPG"])}
    for name, data in pics.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "notes.txt").write_text("not a frame")
    expected = [pics["a.jpg"], pics["b.jpg"], pics["c.JPG"], pics["a.jpg"]]
    with open_camera(f"virtual:{tmp_path}") as cam:
        assert [cam.capture(timeout=30)[0].data for _ in range(4)] == expected
    with open_camera(f"virtual:{tmp_path}") as cam:   # starts again from the first
        assert cam.capture(timeout=30)[0].data == pics["a.jpg"]


@pytest.mark.usefixtures("english")
def test_frame_list_exhausted_is_a_clear_error() -> None:
    with open_camera("virtual", frames=[jpeg(1)]) as cam:
        cam.capture(timeout=30)
        with pytest.raises(CameraError, match="no more frames"):
            cam.capture(timeout=30)


def test_locked_settings_warn_when_camera_differs() -> None:
    with open_camera("virtual", frames=[jpeg(1)], lock={"f-number": "f/8", "shutter": "0.0100s"}) as cam:
        warnings = cam.warnings()
    assert any("f-number" in w and "f/8" in w for w in warnings)
    assert not any("shutter" in w for w in warnings)


@pytest.mark.usefixtures("english")
def test_unknown_spec_lists_valid_forms() -> None:
    with pytest.raises(CameraError) as err:
        open_camera("webcam")
    assert "hotfolder:DIR" in (err.value.hint or "")


def test_gphoto_spec_opens_by_model_or_port() -> None:
    import os
    from pathlib import Path

    from camera import CameraNotFound
    from camera.vfeed import FRAME_NAME
    vdir = Path(os.environ["VCAMERADIR"])
    if not (vdir / FRAME_NAME).exists():
        (vdir / FRAME_NAME).write_bytes(jpeg(1))
    for spec in ("gphoto", "gphoto:usb:001,001", "gphoto:Nikon DSC D750", "gphoto:d750"):
        with open_camera(spec) as cam:
            assert cam.health().model == "Nikon DSC D750"
    with pytest.raises(CameraNotFound) as err:
        open_camera("gphoto:Canon EOS 5D")
    assert "Nikon DSC D750 on usb:001,001" in str(err.value)


def test_importing_the_cli_loads_no_camera_library() -> None:
    import subprocess
    import sys
    code = ("import sys, station.cli.commands.camera, camera, camera.spec, camera.hotfolder, camera.pedal, "
            "camera.doctor; "
            "bad = [m for m in ('gphoto2', 'watchdog', 'evdev') if m in sys.modules]; "
            "sys.exit(f'loaded at import: {bad}' if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_second_virtual_camera_in_the_process_does_not_take_this_ones_pictures() -> None:
    """libgphoto2's virtual camera has one event queue per process: the station's idle camera (listening for
    its shutter button) must not take the picture `station capture` shoots beside it in the same process."""
    idle_frames = [jpeg(100 + i) for i in range(3)]
    shots = [jpeg(i) for i in range(12)]
    with open_camera("virtual", frames=idle_frames) as idle:
        with open_camera("virtual", frames=shots) as beside:
            got = [beside.capture(timeout=30)[0].data for _ in shots]
        assert got == shots
        assert idle.poll(0.2) == []
