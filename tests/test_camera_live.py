"""Live-view sources: the virtual camera's real answer to capture_preview, and the folder of frames."""
from __future__ import annotations

from pathlib import Path

import pytest

from camera import PreviewUnsupported, open_camera
from camera.errors import CameraError
from camera.live import CameraLiveSource, FolderLiveSource, open_live_source
from pipeline.synthetic import portrait


def test_virtual_camera_has_no_live_view_and_says_so() -> None:
    with open_camera("virtual", frames=[portrait(1, width=640, height=427).jpeg]) as cam:
        source = CameraLiveSource(cam)
        with pytest.raises(PreviewUnsupported) as info:
            source.next_frame()
        assert info.value.code == -6
        assert "--live-frames" in (info.value.hint or "")
        # the camera still shoots after the refused preview
        assert cam.capture(timeout=10)[0].data[:2] == b"\xff\xd8"


def test_folder_source_cycles_frames_in_name_order_at_its_rate(tmp_path: Path) -> None:
    frames = [portrait(seed, width=320, height=240).jpeg for seed in (1, 2, 3)]
    for i, data in enumerate(frames):
        (tmp_path / f"live-{i:02d}.jpg").write_bytes(data)
    (tmp_path / "notes.txt").write_text("not a frame")
    source = open_live_source(None, tmp_path, fps=50)
    got = [source.next_frame() for _ in range(4)]
    assert got == [frames[0], frames[1], frames[2], frames[0]]
    assert source.count == 3


def test_empty_folder_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(CameraError) as info:
        FolderLiveSource(tmp_path)
    assert "jpg" in (info.value.hint or "")
