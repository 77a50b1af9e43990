"""One face embedding per picture: dlib's HOG detector, its 5-point landmarks, an aligned 150x150 chip, the ResNet.

Works on camera frames (decoded small in the DCT domain by pipeline.decode), enrolment photos of any size
(grayscale, 150x200 ... 480x640) and finished 480x640 photos. Everything comes from installed packages:
`dlib-bin` (detector, landmarks, chip alignment) and `face_recognition_models` (the 5-point landmark model and
the ResNet weights; its 68-point model, which is licensed for non-commercial use only, is never loaded).
dlib is imported on first use only, so commands that never compare faces do not pay for it.

Threads: the dlib detector and shape predictor are shared objects behind one lock; the ResNet runs in numpy
outside it (read-only weights, so concurrent calls are safe and overlap while BLAS works).
"""
from __future__ import annotations

import importlib.util
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline import reasons as why
from pipeline.decode import Decoded, decode_for_analysis
from pipeline.likeness import resnet
from pipeline.likeness.vector import Embedding
from pipeline.result import Reason

log = logging.getLogger(__name__)

#: decode size for bytes: a 6000x4000 JPEG decodes at 1/8 in the DCT domain straight to 750x500, where a
#: seated student's face is ~180 px wide, more than the 150 px chip the network sees
WORK_SIDE = 750
#: the HOG detector runs on the picture scaled to this long side (its window is 80 px: a face filling a
#: portrait or frame is 100+ px here); if it finds nothing, once more at DETECT_RETRY_SIDE for smaller faces
DETECT_SIDE = 480
DETECT_RETRY_SIDE = 960
#: a second face at least this fraction of the largest one's width makes the picture ambiguous
RIVAL_FACE_RATIO = 0.5
#: below this face width (pixels of the picture as given) the chip is mostly upsampling: no reliable embedding.
#: Measured drift from the same frame at full size: ~0.06 at 130 px, ~0.13 at 80 px, ~0.2-0.24 at 47-62 px
#: (a 150x200 enrolment photo's face is ~65 px: the preset's looser enrolment threshold allows for that)
MIN_FACE_PX = 40

_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


@dataclass(frozen=True)
class NoFace:
    """Why a picture gave no embedding (falsy, so `if not embed(x)` reads naturally)."""
    reason: Reason
    faces: int

    def __bool__(self) -> bool:
        return False


def face_too_small(px: float) -> Reason:
    return Reason("face_too_small_to_compare", "人脸太小，无法比对", f"face too small to compare ({px:.0f} px wide)")


def _model_path(name: str) -> str:
    """A file of the installed face_recognition_models package, found without importing it (its __init__
    needs pkg_resources, which recent setuptools no longer ships)."""
    from pipeline.errors import PipelineError
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise PipelineError("face recognition models not installed: pip install face_recognition_models==0.3.0",
                            hint="make install")
    path = os.path.join(list(spec.submodule_search_locations)[0], "models", name)
    if not os.path.isfile(path):
        raise PipelineError(f"face recognition model file missing: {path}", hint="make install")
    return path


def _models() -> dict[str, Any]:
    """Detector, 5-point shape predictor and ResNet, loaded once per process (~0.5 s, ~60 MB)."""
    if not _MODELS:
        with _LOCK:
            if not _MODELS:
                import dlib
                with open(_model_path("dlib_face_recognition_resnet_model_v1.dat"), "rb") as fh:
                    net = resnet.parse(fh.read())
                loaded = {"dlib": dlib, "detector": dlib.get_frontal_face_detector(),
                          "landmarks": dlib.shape_predictor(_model_path("shape_predictor_5_face_landmarks.dat")),
                          "net": net}
                _MODELS.update(loaded)
                log.debug("face recognition models loaded")
    return _MODELS


def warm_up() -> None:
    """Load the models now (e.g. while the station starts) so the first take does not wait for them."""
    _models()


def _as_rgb(image: bytes | Decoded | np.ndarray) -> tuple[np.ndarray, float]:
    """Upright RGB uint8 pixels and the full-image pixels per pixel of them."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        decoded = decode_for_analysis(bytes(image), WORK_SIDE)
        return decoded.rgb, decoded.scale
    if isinstance(image, Decoded):
        return image.rgb, image.scale
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ValueError(f"pixels must be uint8, got {arr.dtype}")
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"pixels must be HxW, HxWx3 or HxWx4, got shape {arr.shape}")
    return np.ascontiguousarray(arr[:, :, :3]), 1.0


def _detect(m: dict[str, Any], rgb: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Face boxes in `rgb` pixels, widest first."""
    import cv2
    h, w = rgb.shape[:2]
    sides = (DETECT_SIDE,) if max(h, w) <= DETECT_SIDE else (DETECT_SIDE, DETECT_RETRY_SIDE)
    for side in sides:                 # a small picture is upscaled to DETECT_SIDE once: no retry needed
        s = side / max(h, w)
        small = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))),
                           interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        with _LOCK:
            rects = m["detector"](small, 0)
        if rects:
            boxes = [(r.left() / s, r.top() / s, (r.right() + 1) / s, (r.bottom() + 1) / s) for r in rects]
            return sorted(boxes, key=lambda b: b[0] - b[2])
    return []


def embed(image: bytes | Decoded | np.ndarray) -> Embedding | NoFace:
    """The embedding of the one face in `image` (file bytes, a pipeline Decoded, or RGB/gray uint8 pixels).

    NoFace (with the reason) when there is no face, when two faces are of comparable size (whose face would
    it be?), or when the face is too small to compare. A much smaller face behind the subject is ignored.
    Bytes that are not an image raise pipeline.errors.DecodeError, as everywhere in the pipeline.
    The result is personal data: keep it owner-only in the workspace, never export or log it.
    """
    rgb, scale = _as_rgb(image)
    m = _models()
    boxes = _detect(m, rgb)
    if not boxes:
        return NoFace(why.no_face(), 0)
    widest = boxes[0][2] - boxes[0][0]
    rivals = [b for b in boxes if b[2] - b[0] >= RIVAL_FACE_RATIO * widest]
    if len(rivals) > 1:
        return NoFace(why.several_faces(len(rivals)), len(rivals))
    if widest < MIN_FACE_PX:
        return NoFace(face_too_small(widest), 1)
    dlib = m["dlib"]
    x0, y0, x1, y1 = boxes[0]
    rect = dlib.rectangle(round(x0), round(y0), round(x1) - 1, round(y1) - 1)
    with _LOCK:
        shape = m["landmarks"](rgb, rect)
        chip = dlib.get_face_chip(rgb, shape, size=resnet.CHIP_SIZE, padding=0.25)
    vector = resnet.forward(m["net"], np.asarray(chip))
    box = (round(x0 * scale), round(y0 * scale), round(x1 * scale), round(y1 * scale))
    return Embedding(vector, box)
