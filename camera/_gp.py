"""The one place gphoto2 is imported: lazily, after VCAMERADIR is settled, with logging routed to Python.

libgphoto2's bundled virtual camera is selected by VCAMERADIR at the first `import gphoto2` and that choice
holds for the process, so the import is deferred until a camera is really needed and guarded here.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from camera.errors import CameraError
from config.i18n import _

log = logging.getLogger(__name__)
_LOG_CALLBACK: object | None = None   # keeps libgphoto2's log callback alive (deleting it uninstalls it)


def gphoto2() -> ModuleType:
    """Import gphoto2 (once) and route libgphoto2's log through Python logging."""
    global _LOG_CALLBACK
    try:
        import gphoto2 as gp
    except ImportError as exc:  # pragma: no cover - dependency is pinned
        raise CameraError(_("python-gphoto2 is not installed"), hint="pip install gphoto2") from exc
    if _LOG_CALLBACK is None:
        _LOG_CALLBACK = gp.use_python_logging(mapping={
            gp.GP_LOG_ERROR: logging.INFO,      # libgphoto2 logs "errors" we handle (busy, timeouts) at ERROR
            gp.GP_LOG_VERBOSE: logging.DEBUG - 1,
            gp.GP_LOG_DEBUG: logging.DEBUG - 2,
            gp.GP_LOG_DATA: logging.DEBUG - 3,
        })
    return gp


def virtual_dir() -> Path | None:
    """The virtual camera's folder if this process runs libgphoto2's virtual camera, else None."""
    value = os.environ.get("VCAMERADIR")
    return Path(value) if value else None


def ensure_virtual_dir() -> Path:
    """Return VCAMERADIR, creating a private one if unset; refuse if gphoto2 is already loaded without it."""
    current = virtual_dir()
    if current is not None:
        current.mkdir(parents=True, exist_ok=True)
        return current
    if "gphoto2" in sys.modules:
        raise CameraError(
            _("the virtual camera cannot be used in this process: libgphoto2 was already loaded for real cameras"),
            hint=_("start the station again with --camera virtual (or set VCAMERADIR before starting)"))
    folder = Path(tempfile.mkdtemp(prefix="station-vcam-"))
    os.environ["VCAMERADIR"] = str(folder)
    log.info("virtual camera folder: %s", folder)
    return folder
