"""The hot-folder backend with real files and real watchdog (inotify) events."""
from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from camera import CameraTimeout, open_camera


def jpeg(n: int, size: tuple[int, int] = (400, 300)) -> bytes:
    arr = np.random.default_rng(n).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def write_slowly(path: Path, data: bytes, chunks: int = 6, pause: float = 0.25) -> None:
    """Like a tethering program over a slow link: the file grows in chunks, with pauses longer than the
    stability interval, so only the decodability check stops a half-written file from being taken."""
    step = len(data) // chunks + 1
    with open(path, "wb") as fh:
        for i in range(0, len(data), step):
            fh.write(data[i:i + step])
            fh.flush()
            time.sleep(pause)


def wait_for_warning(cam, text: str, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(text in w for w in cam.warnings()):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    hot, state = tmp_path / "hot", tmp_path / "state"
    hot.mkdir()
    return hot, state


def test_slowly_written_file_is_ingested_once_and_complete(folders) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    data = jpeg(1)
    with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:
        writer = threading.Thread(target=write_slowly, args=(hot / "IMG_0001.JPG", data))
        writer.start()
        frames = cam.capture(timeout=30)
        writer.join()
        assert len(frames) == 1
        frame = frames[0]
        assert frame.data == data and frame.name == "IMG_0001.JPG"
        assert frame.source == "hotfolder" and frame.kind == "jpeg" and frame.captured_at.tzinfo
        os.utime(hot / "IMG_0001.JPG")          # touched again: still the same file, not re-ingested
        assert cam.poll(1.0) == []
        assert cam.warnings() == []
    assert (hot / "IMG_0001.JPG").exists()      # left in place


def test_corrupt_file_is_reported_and_skipped_watcher_survives(folders) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:
        (hot / "bad.jpg").write_bytes(b"\xff\xd8" + os.urandom(5000))       # never becomes a JPEG
        (hot / "broken.nef").write_bytes(os.urandom(5000))                  # not a RAW rawpy can open
        assert wait_for_warning(cam, "bad.jpg") and wait_for_warning(cam, "broken.nef")
        good = jpeg(2)
        (hot / "good.jpg").write_bytes(good)
        assert [f.data for f in cam.capture(timeout=30)] == [good]
        assert cam.health().ok


def test_restart_does_not_reingest(folders) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    first, second = jpeg(3), jpeg(4)
    (hot / "a.jpg").write_bytes(first)          # already there when the station starts
    with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:
        assert [f.data for f in cam.capture(timeout=30)] == [first]
    with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:   # restart, same state folder
        assert cam.poll(1.5) == []
        (hot / "b.jpg").write_bytes(second)
        assert [f.name for f in cam.capture(timeout=30)] == ["b.jpg"]
        (hot / "copy-of-b.jpg").write_bytes(second)                 # same content again: not a new frame
        assert cam.poll(1.5) == []


def test_move_to_moves_ingested_files(folders, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    done = tmp_path / "done"
    data = jpeg(5)
    with open_camera(f"hotfolder:{hot}", state_dir=state, move_to=done) as cam:
        (hot / "c.jpg").write_bytes(data)
        assert cam.capture(timeout=30)[0].data == data
    assert not (hot / "c.jpg").exists() and (done / "c.jpg").read_bytes() == data


def test_capture_times_out_without_a_file(folders) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:
        with pytest.raises(CameraTimeout):
            cam.capture(timeout=0.5)


def dng(n: int) -> bytes:
    """A genuine small DNG (Bayer mosaic + DNG tags) made with pidng, readable by rawpy."""
    pidng_core = pytest.importorskip("pidng.core")
    from pidng.defs import (CalibrationIlluminant, CFAPattern, DNGVersion, Orientation,
                            PhotometricInterpretation, PreviewColorSpace)
    w, h, bpp = 128, 96, 12
    mosaic = np.random.default_rng(n).integers(0, 4095, (h, w), dtype=np.uint16)
    tags = pidng_core.DNGTags()
    T = pidng_core.Tag
    for tag, value in [(T.ImageWidth, w), (T.ImageLength, h), (T.TileWidth, w), (T.TileLength, h),
                       (T.Orientation, Orientation.Horizontal),
                       (T.PhotometricInterpretation, PhotometricInterpretation.Color_Filter_Array),
                       (T.SamplesPerPixel, 1), (T.BitsPerSample, bpp), (T.CFARepeatPatternDim, [2, 2]),
                       (T.CFAPattern, CFAPattern.GBRG), (T.BlackLevel, 0), (T.WhiteLevel, (1 << bpp) - 1),
                       (T.ColorMatrix1, [[1, 1], [0, 1], [0, 1], [0, 1], [1, 1], [0, 1], [0, 1], [0, 1], [1, 1]]),
                       (T.CalibrationIlluminant1, CalibrationIlluminant.D65), (T.AsShotNeutral, [[1, 1]] * 3),
                       (T.Make, "Test"), (T.Model, "Bayer"), (T.DNGVersion, DNGVersion.V1_4),
                       (T.DNGBackwardVersion, DNGVersion.V1_2), (T.PreviewColorSpace, PreviewColorSpace.sRGB)]:
        tags.set(tag, value)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        writer = pidng_core.RAW2DNG()
        writer.options(tags, path="", compress=False)
        writer.convert(mosaic, filename=str(Path(tmp, "frame")))
        return Path(tmp, "frame.dng").read_bytes()


def test_raw_written_slowly_is_ingested_complete_and_truncated_raw_is_skipped(folders) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    raw, other = dng(1), dng(2)
    with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:
        (hot / "cut.dng").write_bytes(other[: len(other) * 3 // 4])     # the writer died mid-file
        writer = threading.Thread(target=write_slowly, args=(hot / "DSC_0001.DNG", raw))
        writer.start()
        frames = cam.capture(timeout=30)
        writer.join()
        assert [(f.name, f.kind, f.data == raw) for f in frames] == [("DSC_0001.DNG", "raw", True)]
        assert wait_for_warning(cam, "cut.dng")
        assert cam.poll(0.5) == []
