"""The camera layer: the only package that imports gphoto2 or watchdog (both lazily, never at import).

`open_camera(spec)` gives a `CameraController` (the `Camera` protocol of camera.protocol) whose one thread owns
the camera; `detect_cameras()` lists what libgphoto2 sees. Frames come back as `Frame` values; failures as
`CameraError` kinds.
"""
from __future__ import annotations

from camera.controller import CameraController
from camera.detect import detect_cameras
from camera.errors import (CameraBusy, CameraClaimed, CameraError, CameraGone, CameraNotFound, CameraTimeout,
                           PreviewUnsupported,
                           CardFull)
from camera.frame import CameraInfo, Frame, Health
from camera.protocol import Backend, Camera
from camera.spec import SPEC_FORMS, open_camera

__all__ = ["Backend", "Camera", "CameraController", "CameraInfo", "Frame", "Health", "open_camera",
           "detect_cameras", "SPEC_FORMS", "CameraError", "CameraBusy", "CameraClaimed", "CameraGone", "CameraNotFound", "CameraTimeout",
           "CardFull", "PreviewUnsupported"]
