"""One face embedding per picture: the pipeline's face finder and mesh, an aligned 150x150 chip, the ResNet.

Works on camera frames (decoded small in the DCT domain by pipeline.decode), enrolment photos of any size
(grayscale, 150x200 ... 480x640) and finished 480x640 photos. A take needs no second look at all: the station
hands `embed_mesh` the verdict's own analysis picture and face mesh (no second decode, no second detector).
dlib's 5-point model aligns the chip, started from a box placed from the mesh's eyes where dlib's HOG detector
would put it (its detector is no longer run on the way: loaded only for the test that checks the ResNet).
Everything comes from installed packages: `dlib-bin` (5-point landmarks, chip alignment) and
`face_recognition_models` (the 5-point model and the ResNet weights; its 68-point model, which is licensed for
non-commercial use only, is never loaded). dlib is imported on first use only,
so commands that never compare faces do not pay for it.

Threads: dlib's landmarks and chip extraction are behind one lock; the ResNet runs in numpy outside it (read-only weights, so
concurrent calls are safe), on the BLAS pool pipeline.runtime sized.
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
#: faces are found by the pipeline's own finder (pipeline.faces: BlazeFace, then the face mesh that aligns the
#: chip); detections under its DETECT_FLOOR are not faces, and under MIN_FACE_SCORE not ones to compare
MIN_FACE_SCORE = 0.6
#: a second face at least this fraction of the largest one's width makes the picture ambiguous
RIVAL_FACE_RATIO = 0.5
#: below this face width (pixels of the picture as given) the chip is mostly upsampling: no reliable embedding.
#: Measured drift from the same frame at full size: ~0.06 at 130 px, ~0.13 at 80 px, ~0.2-0.24 at 47-62 px
#: (a 150x200 enrolment photo's face is ~65 px: the preset's looser enrolment threshold allows for that)
MIN_FACE_PX = 40

#: the mesh's eye corners (subject's left eye outer/inner, right eye outer/inner): they place the box dlib's
#: 5-point model starts from where its HOG detector would have put it, on average over the team's 46
#: single-face photos: a square of 2.37 eye distances, centred 0.48 eye distances below the eyes' midpoint
EYE_CORNERS = ((263, 362), (33, 133))
BOX_SIDE_IOD = 2.37
BOX_DROP_IOD = 0.48

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
                from pipeline.runtime import size_pools
                size_pools()             # the ResNet's BLAS products: one thread (pipeline.runtime)
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


def _box_from_mesh(mesh: np.ndarray) -> tuple[float, float, float, float]:
    """The face box (x0, y0, x1, y1) dlib's HOG detector would give this face, placed from the mesh's eyes."""
    xy = np.asarray(mesh, np.float64)[:, :2]
    left, right = (xy[list(c)].mean(0) for c in EYE_CORNERS)
    u = left - right
    iod = float(np.hypot(*u))
    down = np.array([-u[1], u[0]]) / max(iod, 1e-6)
    if down[1] < 0:
        down = -down
    cx, cy = (left + right) / 2 + BOX_DROP_IOD * iod * down
    half = BOX_SIDE_IOD * iod / 2
    return cx - half, cy - half, cx + half, cy + half


def embed_mesh(rgb: np.ndarray, mesh: np.ndarray, scale: float = 1.0) -> Embedding | NoFace:
    """The embedding of the face whose 468-point mesh (picture pixels) the verdict already found in `rgb`
    (its analysis picture; `scale`: full-frame pixels per picture pixel). No decode and no detector: dlib's
    5-point model starts from a box placed from the mesh's eyes (where its HOG detector would put it), so the
    chip, and the vector, are the ones the detector's path gives."""
    x0, y0, x1, y1 = _box_from_mesh(mesh)
    if x1 - x0 < MIN_FACE_PX:
        return NoFace(face_too_small(x1 - x0), 1)
    m = _models()
    dlib = m["dlib"]
    rgb = np.ascontiguousarray(rgb[:, :, :3])
    rect = dlib.rectangle(round(x0), round(y0), round(x1) - 1, round(y1) - 1)
    with _LOCK:
        shape = m["landmarks"](rgb, rect)
        chip = dlib.get_face_chip(rgb, shape, size=resnet.CHIP_SIZE, padding=0.25)
    vector = resnet.forward(m["net"], np.asarray(chip))
    return Embedding(vector, (round(x0 * scale), round(y0 * scale), round(x1 * scale), round(y1 * scale)))


def embed(image: bytes | Decoded | np.ndarray) -> Embedding | NoFace:
    """The embedding of the one face in `image` (file bytes, a pipeline Decoded, or RGB/gray uint8 pixels).

    NoFace (with the reason) when there is no face, when two faces are of comparable size (whose face would
    it be?), or when the face is too small to compare. A much smaller face behind the subject is ignored.
    Bytes that are not an image raise pipeline.errors.DecodeError, as everywhere in the pipeline.
    The result is personal data: keep it owner-only in the workspace, never export or log it.
    """
    rgb, scale = _as_rgb(image)
    from pipeline import faces
    found = [d for d in faces.find_faces(rgb, faces.DETECT_FLOOR) if d.score >= MIN_FACE_SCORE]
    if not found:
        return NoFace(why.no_face(), 0)
    width = lambda d: d.box[2] - d.box[0]  # noqa: E731
    rivals = [d for d in found if width(d) >= RIVAL_FACE_RATIO * width(found[0])]
    if len(rivals) > 1:
        return NoFace(why.several_faces(len(rivals)), len(rivals))
    mesh, _ = faces.mesh(rgb, found[0])
    return embed_mesh(rgb, mesh, scale)
