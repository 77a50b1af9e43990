"""Measure one frame: the face, its landmarks, the crown against the backdrop, and the quality signals.

Everything is measured on the small analysis image and reported in upright full-frame pixels, so the planner
can work in the frame's own coordinates. Each quality signal is a plain number; the verdict compares it with
the preset's threshold, so a school can tune any of them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from config.formats import FormatPreset
from pipeline import faces
from pipeline.decode import Decoded

# face-mesh indices (MediaPipe 468-point topology); "right"/"left" are the image's sides
EYE_R = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
EYE_L = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
LIDS_R = ((159, 145), (158, 153), (160, 144))
LIDS_L = ((386, 374), (385, 380), (387, 373))
CORNERS_R, CORNERS_L = (33, 133), (263, 362)
CHEEK_R, CHEEK_L, NOSE_TIP, CHIN = 234, 454, 1, 152
LIP_IN = (13, 14)
MOUTH = (61, 291)
DETECT_FLOOR = 0.5          # detections below this are not faces at all


@dataclass(frozen=True)
class Analysis:
    """What the frame shows, in upright full-frame pixels."""
    faces: int
    score: float = 0.0
    eye_left: tuple[float, float] = (0.0, 0.0)     # image-left eye centre
    eye_right: tuple[float, float] = (0.0, 0.0)
    face_width: float = 0.0
    face_box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    crown_y: float = 0.0
    crown_at_edge: bool = False
    chin_y: float = 0.0
    measures: dict[str, float] = field(default_factory=dict)

    @property
    def eye_mid(self) -> tuple[float, float]:
        return ((self.eye_left[0] + self.eye_right[0]) / 2, (self.eye_left[1] + self.eye_right[1]) / 2)


def _lab(rgb: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab[..., 1:] -= 128.0
    return lab


def lab_of(rgb: tuple[int, int, int]) -> np.ndarray:
    return _lab(np.array([[rgb]], dtype=np.uint8))[0, 0]


def _dist(p: np.ndarray, a: int, b: int) -> float:
    return float(np.hypot(*(p[a, :2] - p[b, :2])))


def analyse(decoded: Decoded, preset: FormatPreset, *, geometry_only: bool = False) -> Analysis:
    """Detect, count, landmark and measure. `faces` == 1 is the only case with measures.

    `geometry_only` (used to re-check finished photos) measures eyes, face width and crown only, with one
    mesh pass: about half the cost, which is what makes re-validating a whole export fast.
    """
    rgb = decoded.rgb
    found = [d for d in faces.detect(rgb, DETECT_FLOOR)]
    real = [d for d in found if d.score >= preset.checks.min_face_score]
    if len(real) != 1:
        return Analysis(faces=len(real), score=max((d.score for d in found), default=0.0))
    det = real[0]
    pts, presence = faces.mesh(rgb, det, refine=not geometry_only)
    k = decoded.scale
    eye_r = pts[list(EYE_R), :2].mean(0)
    eye_l = pts[list(EYE_L), :2].mean(0)
    left, right = (eye_r, eye_l) if eye_r[0] <= eye_l[0] else (eye_l, eye_r)
    roll = math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))
    face_w = _dist(pts, CHEEK_R, CHEEK_L)
    iod = float(np.hypot(*(right - left)))
    open_r = np.mean([_dist(pts, a, b) for a, b in LIDS_R]) / max(_dist(pts, *CORNERS_R), 1e-6)
    open_l = np.mean([_dist(pts, a, b) for a, b in LIDS_L]) / max(_dist(pts, *CORNERS_L), 1e-6)
    mouth = _dist(pts, *LIP_IN) / max(_dist(pts, *MOUTH), 1e-6)
    d1 = abs(pts[NOSE_TIP, 0] - pts[CHEEK_R, 0])
    d2 = abs(pts[CHEEK_L, 0] - pts[NOSE_TIP, 0])
    yaw = (d1 - d2) / max(d1 + d2, 1e-6)
    chin_y = float(pts[CHIN, 1])
    cx = float((left[0] + right[0]) / 2)
    eye_y = float((left[1] + right[1]) / 2)

    back = preset.background
    if geometry_only:        # crown and backdrop only look above the eyes
        lab = _lab(np.ascontiguousarray(rgb[: max(2, int(eye_y) + 1)]))
        bg_lab, _ = _backdrop(lab, cx, eye_y, face_w)
        crown, at_edge = _crown(lab, bg_lab, back.segment_threshold, cx, eye_y, face_w)
        return Analysis(faces=1, score=det.score, eye_left=(float(left[0]) * k, float(left[1]) * k),
                        eye_right=(float(right[0]) * k, float(right[1]) * k), face_width=face_w * k,
                        crown_y=crown * k, crown_at_edge=at_edge, chin_y=chin_y * k,
                        measures={"roll_deg": roll, "score": det.score})
    lab = _lab(rgb)
    bg_lab, spread = _backdrop(lab, cx, eye_y, face_w)
    crown, at_edge = _crown(lab, bg_lab, back.segment_threshold, cx, eye_y, face_w)
    hull = cv2.convexHull(pts[:, :2].astype(np.float32)).astype(np.int32)
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)
    face_px = rgb[mask.astype(bool)]
    clipped = float(np.mean(face_px.max(axis=1) >= 250)) if face_px.size else 0.0
    luma = face_px @ np.array([0.299, 0.587, 0.114]) if face_px.size else np.zeros(1)
    dark = float(np.mean(luma < 35))
    sharp = _sharpness(rgb, hull)
    clothing = _clothing(lab, bg_lab, cx, chin_y, face_w)
    iris = min(_iris_visible(rgb, pts, EYE_R, luma), _iris_visible(rgb, pts, EYE_L, luma))
    measures = {
        "score": det.score, "presence": presence, "roll_deg": roll, "yaw_ratio": float(yaw),
        "eye_open": float(min(open_r, open_l)), "iris_visible": iris, "mouth_open": float(mouth), "sharpness": sharp,
        "clipped": clipped, "dark": dark, "background_spread": spread,
        "background_distance": float(np.linalg.norm(bg_lab - lab_of(back.rgb))),
        "iod_px": iod * k,
    }
    if clothing is not None:
        measures["clothing_distance"] = clothing
    xs, ys = pts[:, 0], pts[:, 1]
    return Analysis(
        faces=1, score=det.score, eye_left=(float(left[0]) * k, float(left[1]) * k),
        eye_right=(float(right[0]) * k, float(right[1]) * k), face_width=face_w * k,
        face_box=(float(xs.min()) * k, float(ys.min()) * k, float(xs.max()) * k, float(ys.max()) * k),
        crown_y=crown * k, crown_at_edge=at_edge, chin_y=chin_y * k, measures=measures)


def _backdrop(lab: np.ndarray, cx: float, eye_y: float, face_w: float) -> tuple[np.ndarray, float]:
    """Backdrop colour (median Lab) and its spread, from the area beside and above the head."""
    h, w = lab.shape[:2]
    cols = np.ones(w, bool)
    cols[max(0, int(cx - 0.9 * face_w)):min(w, int(cx + 0.9 * face_w))] = False
    rows = slice(0, max(2, int(eye_y)))
    sample = lab[rows][:, cols].reshape(-1, 3)
    if len(sample) < 50:                       # head fills the width: use the top rows
        sample = lab[: max(2, h // 30)].reshape(-1, 3)
    sample = sample[:: max(1, len(sample) // 40000)]
    median = np.median(sample, axis=0)
    spread = float(np.sqrt(np.mean(np.var(sample, axis=0))))
    return median, spread


def _crown(lab: np.ndarray, bg: np.ndarray, threshold: float, cx: float, eye_y: float, face_w: float
           ) -> tuple[float, bool]:
    """First row above the eyes where a fair share of the head's columns differ from the backdrop."""
    h, w = lab.shape[:2]
    x0, x1 = max(0, int(cx - 0.45 * face_w)), min(w, int(cx + 0.45 * face_w))
    top = lab[: max(1, int(eye_y)), x0:x1]
    fg = np.linalg.norm(top - bg, axis=2) > threshold
    share = fg.mean(axis=1)
    hits = share >= 0.2
    run = 3
    for y in range(len(hits) - run):
        if hits[y:y + run].all():
            return float(y), y == 0
    return float(max(0, int(eye_y) - 1)), False


def _sharpness(rgb: np.ndarray, hull: np.ndarray) -> float:
    """Variance of the Laplacian on the face, resampled to a fixed width so the number does not depend on
    how large the face is in the frame."""
    x, y, w, h = cv2.boundingRect(hull)
    face = rgb[max(0, y):y + h, max(0, x):x + w]
    if face.size == 0:
        return 0.0
    grey = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)
    scale = 256 / max(grey.shape[1], 1)
    grey = cv2.resize(grey, (256, max(1, round(grey.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def _iris_visible(rgb: np.ndarray, pts: np.ndarray, ring: tuple[int, ...], face_luma: np.ndarray) -> float:
    """Share of the eye opening that is dark (iris, pupil): an open eye shows its iris, a closed lid is
    skin with a lash line. Works where the mesh's lid points do not (drawn faces, heavy lashes)."""
    poly = pts[list(ring), :2].astype(np.int32)
    x, y, w, h = cv2.boundingRect(poly)
    if w < 3 or h < 2:
        return 0.0
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [poly - [x, y]], 1)
    patch = rgb[y:y + h, x:x + w]
    if patch.shape[:2] != mask.shape:
        return 0.0
    luma = patch @ np.array([0.299, 0.587, 0.114])
    inside = luma[mask.astype(bool)]
    if inside.size == 0:
        return 0.0
    return float(np.mean(inside < 0.55 * float(np.median(face_luma))))


def _clothing(lab: np.ndarray, bg: np.ndarray, cx: float, chin_y: float, face_w: float) -> float | None:
    """Lab distance of the top just below the neck from the backdrop (None when it is out of the frame)."""
    h, w = lab.shape[:2]
    y0, y1 = int(chin_y + 0.22 * face_w), int(chin_y + 0.42 * face_w)
    if y0 >= h - 2:
        return None
    y1 = min(h, y1)
    parts = [lab[y0:y1, max(0, int(cx - 0.65 * face_w)):max(0, int(cx - 0.3 * face_w))],
             lab[y0:y1, min(w, int(cx + 0.3 * face_w)):min(w, int(cx + 0.65 * face_w))]]
    sample = np.concatenate([p.reshape(-1, 3) for p in parts if p.size])
    if len(sample) < 20:
        return None
    return float(np.linalg.norm(np.median(sample, axis=0) - bg))
