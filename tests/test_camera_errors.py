"""Error mapping from libgphoto2 codes, and finding programs that hold the camera."""
from __future__ import annotations

from pathlib import Path

import pytest

from camera import CameraBusy, CameraClaimed, CameraError, CameraGone, CameraNotFound, CameraTimeout, CardFull
from camera._gp import gphoto2
from camera.errors import from_gphoto
from camera.holders import find_holders
from config.errors import DomainError


@pytest.mark.parametrize("code, kind", [(-110, CameraBusy), (-53, CameraClaimed), (-52, CameraGone),
                                        (-7, CameraGone), (-10, CameraTimeout), (-115, CardFull),
                                        (-105, CameraNotFound), (-1, CameraError)])
def test_codes_map_to_kinds_with_hints(code: int, kind: type) -> None:
    err = from_gphoto(gphoto2().GPhoto2Error(code), "shooting")
    assert type(err) is kind and isinstance(err, DomainError)
    assert err.code == code and err.hint and "\n" not in str(err)


def test_claimed_names_the_fix() -> None:
    err = from_gphoto(gphoto2().GPhoto2Error(-53), "connecting")
    assert "pkill -f gvfs-gphoto2" in err.hint and "gio mount -u" in err.hint


def test_holders_found_in_proc(tmp_path: Path) -> None:
    for pid, cmd in [(101, b"/usr/libexec/gvfs-gphoto2-volume-monitor\0"), (102, b"bash\0"),
                     (103, b"vim\0notes-about-shotwell.txt\0"), (104, b"/usr/bin/darktable\0--library\0x\0")]:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(cmd)
    found = {(h.pid, h.name) for h in find_holders(tmp_path)}
    assert found == {(101, "gvfs-gphoto2-volume-monitor"), (104, "darktable")}
