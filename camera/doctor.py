"""Environment checks for `station doctor`: can this machine shoot right now, and if not, what to fix."""
from __future__ import annotations

import os
import shutil
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from camera.holders import find_holders
from config.i18n import N_, _

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
    return [*check_libgphoto2(), check_holders(), check_detection(configured_camera(workspace)),
            check_disk(workspace), check_permissions(workspace), check_idcard_readers(reader_ports)]


def configured_camera(workspace: Path) -> str:
    """The camera station.toml names (`gphoto` when there is no workspace yet: what `shoot` would use)."""
    from config.errors import ConfigError
    from config.settings import SETTINGS_FILE, load_settings
    if not (workspace / SETTINGS_FILE).is_file():
        return "gphoto"
    try:
        return load_settings(workspace).camera.spec
    except ConfigError:
        return "gphoto"              # the settings problem is reported by every other command


def check_idcard_readers(ports: list[str] | None = None) -> Check:
    """ID-card readers answering the SAM protocol. None found is fine (only 刷身份证 check-in needs one)."""
    from camera.idcard import list_readers
    found = list_readers(ports)
    if not found:
        where = ", ".join(ports) if ports else _("USB serial ports")
        status = "warn" if ports else "ok"           # a port named on the command line should answer
        return Check(N_("ID-card reader"), status, _("none answering on {where}", where=where),
                     _("plug the reader in (USB), or check the port; only needed for ID-card check-in")
                     if ports else "")
    return Check(N_("ID-card reader"), "ok", "; ".join(
        f"{r.port} (SAM {r.sam_id or '?'}{', ' + r.description if r.description else ''})" for r in found))


def check_libgphoto2() -> list[Check]:
    from camera._gp import gphoto2, virtual_dir
    try:
        gp = gphoto2()
    except Exception as exc:  # noqa: BLE001 - any failure to load is the finding itself
        return [Check("libgphoto2", "fail", _("cannot load python-gphoto2: {problem}", problem=exc),
                      "pip install gphoto2")]
    version = gp.gp_library_version(gp.GP_VERSION_SHORT)[0]
    checks = [Check("libgphoto2", "ok", f"libgphoto2 {version}, python-gphoto2 {gp.__version__}")]
    abilities = gp.CameraAbilitiesList()
    abilities.load()
    camlibs = os.environ.get("CAMLIBS", "")
    if len(abilities) == 0:
        checks.append(Check("camlibs", "fail", _("no camera drivers found (CAMLIBS={camlibs})",
                                                 camlibs=camlibs or _("unset")),
                            _("reinstall python-gphoto2 (pip install --force-reinstall gphoto2)")))
    else:
        checks.append(Check("camlibs", "ok", _("{n} camera models supported ({camlibs})", n=len(abilities),
                                               camlibs=camlibs or _("system"))))
    vdir = virtual_dir()
    if vdir is not None:
        checks.append(Check(N_("virtual camera"), "warn",
                            _("VCAMERADIR={folder}: only the virtual camera is visible", folder=vdir),
                            _("unset VCAMERADIR to use a real camera")))
    return checks


def check_holders() -> Check:
    holders = find_holders()
    if not holders:
        return Check(N_("camera holders"), "ok", _("no other program is holding cameras"))
    names = ", ".join(sorted({f"{h.name} (pid {h.pid})" for h in holders}))
    return Check(N_("camera holders"), "fail", _("these programs grab USB cameras: {names}", names=names),
                 _("pkill -f gvfs-gphoto2 (and `gio mount -u gphoto2://*`), close other photo programs, replug"))


def check_detection(spec: str = "gphoto") -> Check:
    """A USB camera is needed only when station.toml's camera is `gphoto[:...]`: then none detected blocks
    shooting; a hot-folder station needs its folder; the virtual camera needs nothing."""
    from camera.detect import detect_cameras
    kind, _sep, where = spec.partition(":")
    if kind == "hotfolder":
        folder = Path(where).expanduser()
        if not folder.is_dir():
            return Check(N_("camera"), "fail", _("hot folder {folder} (station.toml) does not exist", folder=folder),
                         _("create the folder, or point [camera] spec in station.toml at the tethering program's "
                           "output folder"))
        return Check(N_("camera"), "ok", _("hot folder {folder}", folder=folder))
    if kind == "virtual":
        return Check(N_("camera"), "ok", _("libgphoto2's virtual camera (station.toml camera = {spec})", spec=spec))
    needed = "fail"                  # station.toml names a USB camera: without one nothing can be shot
    try:
        cameras = detect_cameras(read_battery=False)
    except Exception as exc:  # noqa: BLE001
        return Check(N_("camera"), needed, _("detection failed: {problem}", problem=exc), _("replug the camera"))
    if not cameras:
        return Check(N_("camera"), needed,
                     _("no camera detected, and station.toml's camera is {spec} (a USB camera)", spec=spec),
                     _("plug the camera in with its USB cable and switch it on; a hot-folder station sets "
                       "[camera] spec = \"hotfolder:DIR\" in station.toml"))
    return Check(N_("camera"), "ok", "; ".join(_("{model} on {port}", model=c.model, port=c.port) for c in cameras))


def check_disk(workspace: Path) -> Check:
    probe = workspace
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    text = _("{free} GiB free at {folder}", free=f"{free / 1024**3:.1f}", folder=probe)
    if free < MIN_FREE_BYTES:
        return Check(N_("disk"), "fail", text, _("free space or choose a workspace on a bigger disk"))
    if free < LOW_FREE_BYTES:
        return Check(N_("disk"), "warn", text, _("a full day of RAW+JPEG needs about 20 GiB"))
    return Check(N_("disk"), "ok", text)


def check_permissions(workspace: Path) -> Check:
    if not workspace.exists():
        return Check(N_("workspace"), "warn", _("{folder} does not exist yet", folder=workspace),
                     _("run `station init`"))
    st = workspace.stat()
    if st.st_uid != os.getuid():
        return Check(N_("workspace"), "fail", _("{folder} belongs to uid {uid}, not to you", folder=workspace,
                                                 uid=st.st_uid),
                     f"chown -R $(id -u) {workspace}")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        return Check(N_("workspace"), "fail", _("{folder} is readable by others (mode {mode}): it holds personal data",
                                                 folder=workspace, mode=f"{mode:04o}"),
                     f"chmod 700 {workspace}")
    if not os.access(workspace, os.W_OK | os.X_OK):
        return Check(N_("workspace"), "fail", _("{folder} is not writable", folder=workspace),
                     f"chmod 700 {workspace}")
    return Check(N_("workspace"), "ok", _("{folder} is owner-only ({mode})", folder=workspace, mode=f"{mode:04o}"))
