"""Which cameras libgphoto2 sees, with their battery level when the camera can be opened briefly."""
from __future__ import annotations

import logging

from camera._gp import gphoto2
from camera.frame import CameraInfo

log = logging.getLogger(__name__)


def detect_cameras(*, read_battery: bool = True) -> list[CameraInfo]:
    """Detected cameras (model, port, battery or None when it cannot be read, e.g. held by another program)."""
    gp = gphoto2()
    found = autodetect(gp)
    return [CameraInfo(model=m, port=p, battery=_battery(gp, m, p) if read_battery else None) for m, p in found]


def autodetect(gp) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(model, port) pairs libgphoto2 detects."""
    found = gp.Camera.autodetect()
    return [(str(found.get_name(i)), str(found.get_value(i))) for i in range(len(found))]


def camera_for(gp, model: str, port: str):  # type: ignore[no-untyped-def]
    """An un-initialised gp.Camera tied to one detected model on one port (not whatever answers first)."""
    cam = gp.Camera()
    abilities = gp.CameraAbilitiesList()
    abilities.load()
    cam.set_abilities(abilities[abilities.lookup_model(model)])
    ports = gp.PortInfoList()
    ports.load()
    cam.set_port_info(ports[ports.lookup_path(port)])
    return cam


def _battery(gp, model: str, port: str) -> str | None:  # type: ignore[no-untyped-def]
    try:
        cam = camera_for(gp, model, port)
        cam.init()
    except gp.GPhoto2Error as exc:
        log.info("cannot open %s on %s to read its battery: %s", model, port, exc)
        return None
    try:
        return str(cam.get_single_config("batterylevel").get_value())
    except gp.GPhoto2Error:
        return None
    finally:
        try:
            cam.exit()
        except gp.GPhoto2Error:
            pass
