"""The hot folder against hostile and clumsy files, and crash consistency of its ledger.

Real files, real watchdog (inotify) events, real symlinks, FIFOs and device nodes, a real kill -9 of a
consumer process between hand-over and acknowledgement. Whatever comes first, a good frame after a bad one
is still taken (a blocked or crashed ingest would make the good frame's capture time out).
"""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import hostile_images as hi
from camera import open_camera
from camera.hotfolder import _Changed, _read_inside, _Refused
from camera.ledger import LEDGER_NAME, IngestLedger
from pipeline.synthetic import portrait
from test_camera_hotfolder import jpeg, wait_for_warning

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    hot, state = tmp_path / "hot", tmp_path / "state"
    hot.mkdir()
    return hot, state


def test_symlinks_fifos_and_devices_are_refused_and_the_next_good_frame_is_taken(folders, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    elsewhere = tmp_path / "originals"
    elsewhere.mkdir()
    (elsewhere / "other-student.jpg").write_bytes(jpeg(1))
    with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:
        (hot / "IMG_0001.JPG").symlink_to(elsewhere / "other-student.jpg")   # another student's original
        (hot / "IMG_0002.JPG").symlink_to("/dev/zero")                      # endless bytes
        os.mkfifo(hot / "IMG_0003.JPG")                                      # nobody ever writes into it
        device = True
        try:
            os.mknod(hot / "IMG_0004.JPG", stat.S_IFCHR | 0o600, os.makedev(1, 5))
        except (PermissionError, OSError):
            device = False                                                   # no CAP_MKNOD here
        for name in ("IMG_0001.JPG", "IMG_0002.JPG", "IMG_0003.JPG") + (("IMG_0004.JPG",) if device else ()):
            assert wait_for_warning(cam, name), name
        good = jpeg(2)
        (hot / "IMG_0005.JPG").write_bytes(good)
        frames = cam.capture(timeout=30)
        assert [(f.name, f.data == good) for f in frames] == [("IMG_0005.JPG", True)]
        assert cam.poll(1.0) == []
        warnings = "\n".join(cam.warnings())
        assert "symbolic link" in warnings or "符号链接" in warnings
        assert "FIFO" in warnings
    # a restart does not take them either, nor warn about them again
    with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:
        assert cam.poll(1.5) == []
        assert cam.warnings() == []


def test_a_symlinked_subfolder_leads_nowhere(folders, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    outside = tmp_path / "outside"
    outside.mkdir()
    (hot / "card").symlink_to(outside, target_is_directory=True)
    with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:
        (outside / "DSC_0001.JPG").write_bytes(jpeg(3))
        (hot / "DSC_0002.JPG").write_bytes(good := jpeg(4))
        assert [f.data for f in cam.capture(timeout=30)] == [good]
        assert cam.poll(1.5) == []
    # and the reader itself refuses a path through the link, whatever reported it
    target = outside / "DSC_0001.JPG"
    with pytest.raises(_Refused):
        _read_inside(hot, "card/DSC_0001.JPG", os.stat(target), 1 << 20)


def test_a_file_swapped_for_a_fifo_after_lstat_does_not_block(folders) -> None:  # type: ignore[no-untyped-def]
    hot, _state = folders
    path = hot / "IMG_0001.JPG"
    path.write_bytes(jpeg(5))
    seen = os.lstat(path)
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(_Changed):          # opened O_NONBLOCK, fstat says FIFO: no read, no wait
        _read_inside(hot, "IMG_0001.JPG", seen, 1 << 20)


def test_files_over_the_size_limit_are_refused_unread(folders) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    limit = 1 << 20
    with open_camera(f"hotfolder:{hot}", state_dir=state, max_file_bytes=limit) as cam:
        (hot / "HUGE.JPG").write_bytes(b"\xff\xd8\xff" + b"\0" * (limit + 10))
        assert wait_for_warning(cam, "HUGE.JPG")
        assert any("1 MB" in w for w in cam.warnings())
        (hot / "OK.JPG").write_bytes(good := jpeg(6))
        assert [f.data for f in cam.capture(timeout=30)] == [good]


def test_damaged_pictures_are_skipped_and_the_next_good_one_is_taken(folders) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    frame = portrait(7).jpeg
    with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:
        (hot / "GREY.JPG").write_bytes(hi.grey_fill(frame, 0.55))            # the grey lower half
        (hot / "BOMB.JPG").write_bytes(hi.jpeg_with_size(jpeg(7), 50000, 50000))
        assert wait_for_warning(cam, "GREY.JPG") and wait_for_warning(cam, "BOMB.JPG")
        (hot / "GOOD.JPG").write_bytes(frame)
        assert [f.name for f in cam.capture(timeout=30)] == ["GOOD.JPG"]
        assert cam.poll(0.5) == []


# -- acknowledgement and crashes ----------------------------------------------------------------------------
CONSUMER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from camera import open_camera
    hot, state, when = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    cam = open_camera("hotfolder:" + hot, state_dir=state, ack_on_delivery=False)
    frames = cam.capture(timeout=30)
    print("GOT", ",".join(f.name for f in frames), flush=True)
    if when == "after-ack":
        cam.acknowledge(frames)
    os.kill(os.getpid(), signal.SIGKILL)   # the station dies: before or after its journal commit + ack
""")


def run_consumer(hot: Path, state: Path, when: str) -> str:
    proc = subprocess.run([sys.executable, "-c", CONSUMER, str(hot), str(state), when], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return proc.stdout.strip()


def test_a_frame_handed_over_but_never_acknowledged_is_offered_again_after_kill_9(folders) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    data = jpeg(8)
    (hot / "IMG_0100.JPG").write_bytes(data)
    assert run_consumer(hot, state, "before-ack") == "GOT IMG_0100.JPG"
    with open_camera(f"hotfolder:{hot}", state_dir=state, ack_on_delivery=False) as cam:
        frames = cam.capture(timeout=30)
        assert [(f.name, f.data == data) for f in frames] == [("IMG_0100.JPG", True)]
        assert any("IMG_0100.JPG" in w and ("offered again" in w or "重新提供" in w) for w in cam.warnings())
        cam.acknowledge(frames)
    with open_camera(f"hotfolder:{hot}", state_dir=state, ack_on_delivery=False) as cam:
        assert cam.poll(1.5) == []                 # acknowledged: settled for good
        assert cam.warnings() == []


def test_an_acknowledged_frame_is_not_offered_again_after_kill_9(folders) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    (hot / "IMG_0200.JPG").write_bytes(jpeg(9))
    assert run_consumer(hot, state, "after-ack") == "GOT IMG_0200.JPG"
    with open_camera(f"hotfolder:{hot}", state_dir=state, ack_on_delivery=False) as cam:
        assert cam.poll(1.5) == []
        assert cam.warnings() == []


def test_a_pending_frame_that_vanished_is_reported(folders) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    (hot / "IMG_0300.JPG").write_bytes(jpeg(10))
    run_consumer(hot, state, "before-ack")
    (hot / "IMG_0300.JPG").unlink()
    with open_camera(f"hotfolder:{hot}", state_dir=state, ack_on_delivery=False) as cam:
        assert any("IMG_0300.JPG" in w and ("no longer" in w or "已不在" in w) for w in cam.warnings())
        assert cam.poll(1.0) == []


def test_files_move_only_once_acknowledged_and_released_frames_come_back(folders, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hot, state = folders
    done = tmp_path / "done"
    first, second = jpeg(11), jpeg(12)
    with open_camera(f"hotfolder:{hot}", state_dir=state, move_to=done, ack_on_delivery=False) as cam:
        (hot / "A.JPG").write_bytes(first)
        frames = cam.capture(timeout=30)
        assert (hot / "A.JPG").exists() and not done.exists()     # not journalled yet: stays where it is
        cam.release(frames)                                        # e.g. the disk was full: give it back
        again = cam.capture(timeout=30)
        assert [f.data for f in again] == [first]
        cam.acknowledge(again)
        assert (done / "A.JPG").read_bytes() == first and not (hot / "A.JPG").exists()
        (hot / "B.JPG").write_bytes(second)
        (hot / "copy-of-B.JPG").write_bytes(second)               # same content, waiting on B's outcome
        b = cam.capture(timeout=30)
        assert len(b) == 1 and b[0].data == second
        cam.acknowledge(b)
        assert cam.poll(1.5) == []                                 # the copy is a duplicate once B is in


def test_a_torn_last_ledger_line_does_not_swallow_the_next_entry(tmp_path: Path) -> None:
    ledger = IngestLedger(tmp_path)
    ledger.record("a|1|1", status="ingested", sha256="aa", name="a")
    with open(tmp_path / LEDGER_NAME, "ab") as fh:
        fh.write(b'{"key": "b|1|1", "sta')                        # power cut mid-write
    IngestLedger(tmp_path).record("c|1|1", status="ingested", sha256="cc", name="c")
    reread = IngestLedger(tmp_path)
    assert reread.has_key("a|1|1") and reread.has_key("c|1|1") and not reread.has_key("b|1|1")
    assert reread.has_content("cc")


def test_delivery_never_waits_on_a_stalled_fifo_writer(folders) -> None:  # type: ignore[no-untyped-def]
    """A FIFO with a writer attached that never finishes: still refused from lstat, the good frame comes."""
    hot, state = folders
    fifo = hot / "STALL.JPG"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"exec 3>'{fifo}'; sleep 30"])
    try:
        with open_camera(f"hotfolder:{hot}", state_dir=state) as cam:
            assert wait_for_warning(cam, "STALL.JPG")
            (hot / "GOOD.JPG").write_bytes(good := jpeg(13))
            assert [f.data for f in cam.capture(timeout=30)] == [good]   # a blocked ingest would time out
    finally:
        writer.kill()
        writer.wait()
