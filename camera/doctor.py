"""Environment checks for `station doctor`: can this machine shoot right now, and if not, what to fix."""
from __future__ import annotations

import os
import shutil
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from camera.holders import find_holders

MIN_FREE_BYTES = 2 * 1024**3      # below this a day of originals does not fit: blocks shooting
LOW_FREE_BYTES = 20 * 1024**3     # below this: warn


@dataclass(frozen=True)
class Check:
    name: str
    status: str          # "ok" | "warn" | "fail" (fail blocks shooting)
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def run_checks(workspace: Path, reader_ports: list[str] | None = None) -> list[Check]:
    """All checks, cheapest and most basic first; `reader_ports` probes those ports for ID-card readers
    (default: every USB serial port)."""
    return [*check_libgphoto2(), check_holders(), check_detection(), check_disk(workspace),
            check_permissions(workspace), check_idcard_readers(reader_ports)]


def check_idcard_readers(ports: list[str] | None = None) -> Check:
    """ID-card readers answering the SAM protocol. None found is fine (only 刷身份证 check-in needs one)."""
    from camera.idcard import list_readers
    found = list_readers(ports)
    if not found:
        where = ", ".join(ports) if ports else "USB serial ports"
        status = "warn" if ports else "ok"           # a port named on the command line should answer
        return Check("ID-card reader", status, f"none answering on {where}",
                     "plug the reader in (USB), or check the port; only needed for ID-card check-in"
                     if ports else "")
    return Check("ID-card reader", "ok", "; ".join(
        f"{r.port} (SAM {r.sam_id or '?'}{', ' + r.description if r.description else ''})" for r in found))


def check_libgphoto2() -> list[Check]:
    from camera._gp import gphoto2, virtual_dir
    try:
        gp = gphoto2()
    except Exception as exc:  # noqa: BLE001 - any failure to load is the finding itself
        return [Check("libgphoto2", "fail", f"cannot load python-gphoto2: {exc}", "pip install gphoto2")]
    version = gp.gp_library_version(gp.GP_VERSION_SHORT)[0]
    checks = [Check("libgphoto2", "ok", f"libgphoto2 {version}, python-gphoto2 {gp.__version__}")]
    abilities = gp.CameraAbilitiesList()
    abilities.load()
    camlibs = os.environ.get("CAMLIBS", "")
    if len(abilities) == 0:
        checks.append(Check("camlibs", "fail", f"no camera drivers found (CAMLIBS={camlibs or 'unset'})",
                            "reinstall python-gphoto2 (pip install --force-reinstall gphoto2)"))
    else:
        checks.append(Check("camlibs", "ok", f"{len(abilities)} camera models supported ({camlibs or 'system'})"))
    vdir = virtual_dir()
    if vdir is not None:
        checks.append(Check("virtual camera", "warn", f"VCAMERADIR={vdir}: only the virtual camera is visible",
                            "unset VCAMERADIR to use a real camera"))
    return checks


def check_holders() -> Check:
    holders = find_holders()
    if not holders:
        return Check("camera holders", "ok", "no other program is holding cameras")
    names = ", ".join(sorted({f"{h.name} (pid {h.pid})" for h in holders}))
    return Check("camera holders", "fail", f"these programs grab USB cameras: {names}",
                 "pkill -f gvfs-gphoto2 (and `gio mount -u gphoto2://*`), close other photo programs, replug")


def check_detection() -> Check:
    from camera.detect import detect_cameras
    try:
        cameras = detect_cameras(read_battery=False)
    except Exception as exc:  # noqa: BLE001
        return Check("camera", "warn", f"detection failed: {exc}", "replug the camera")
    if not cameras:
        return Check("camera", "warn", "no camera detected (fine for a hot folder station)",
                     "plug the camera in with its USB cable and switch it on")
    return Check("camera", "ok", "; ".join(f"{c.model} on {c.port}" for c in cameras))


def check_disk(workspace: Path) -> Check:
    probe = workspace
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    text = f"{free / 1024**3:.1f} GiB free at {probe}"
    if free < MIN_FREE_BYTES:
        return Check("disk", "fail", text, "free space or choose a workspace on a bigger disk")
    if free < LOW_FREE_BYTES:
        return Check("disk", "warn", text, "a full day of RAW+JPEG needs about 20 GiB")
    return Check("disk", "ok", text)


def check_permissions(workspace: Path) -> Check:
    if not workspace.exists():
        return Check("workspace", "warn", f"{workspace} does not exist yet", "run `station init`")
    st = workspace.stat()
    if st.st_uid != os.getuid():
        return Check("workspace", "fail", f"{workspace} belongs to uid {st.st_uid}, not to you",
                     f"chown -R $(id -u) {workspace}")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        return Check("workspace", "fail", f"{workspace} is readable by others (mode {mode:04o}): it holds personal data",
                     f"chmod 700 {workspace}")
    if not os.access(workspace, os.W_OK | os.X_OK):
        return Check("workspace", "fail", f"{workspace} is not writable", f"chmod 700 {workspace}")
    return Check("workspace", "ok", f"{workspace} is owner-only ({mode:04o})")
