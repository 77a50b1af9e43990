"""What the face itself does: head pose in degrees, eyes (open, gaze), mouth (open, teeth), expression.

Every measure is a landmark ratio normalised by the inter-ocular distance (IOD) or an angle, so it does not
depend on how large the face is in the frame. Indices are MediaPipe's 468-point face-mesh topology; "R"/"L"
are the SUBJECT's right/left (R is on the image's left in a frontal photo).
"""
from __future__ import annotations

import math

import numpy as np

from pipeline import faces

EYE_R = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
EYE_L = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
LIDS_R = ((159, 145), (158, 153), (160, 144))
LIDS_L = ((386, 374), (385, 380), (387, 373))
CORNERS_R, CORNERS_L = (33, 133), (263, 362)        # (outer, inner)
BROW_R = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)
BROW_L = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
BROW_INNER_R, BROW_INNER_L = (107, 55), (336, 285)
CHEEK_R, CHEEK_L, NOSE_TIP, CHIN, FOREHEAD = 234, 454, 1, 152, 10
MOUTH_CORNERS = (61, 291)
LIP_INNER_UP, LIP_INNER_DOWN = 13, 14
LIP_OUTER_UP, LIP_OUTER_DOWN = 0, 17
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
# pitch zero point: the chin-to-brow axis of a level, frontal face leans this far out of the image plane in
# the mesh's own depth (median over the 29 team portraits, which are frontal; measured on team fixtures)
PITCH_ZERO_DEG = -9.0
# horizontal eyeball rotation per unit of iris offset (iris offset / eye width): eye width ~30 mm, eyeball
# radius ~12 mm, so offset x maps to asin(x * 30 / 12)
_GAZE_GAIN = 2.5


def _p(pts: np.ndarray, i: int) -> np.ndarray:
    return pts[i, :2]


def _d(pts: np.ndarray, a: int, b: int) -> float:
    return float(np.hypot(*(pts[a, :2] - pts[b, :2])))


def eye_centres(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(subject's right eye, subject's left eye) centres from the eyelid rings."""
    return pts[list(EYE_R), :2].mean(0), pts[list(EYE_L), :2].mean(0)


def roll_deg(pts: np.ndarray) -> float:
    """Eye line off level, degrees (positive: the image-right eye is lower)."""
    r, l_ = eye_centres(pts)
    left, right = (r, l_) if r[0] <= l_[0] else (l_, r)
    return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))


def _level(pts: np.ndarray) -> np.ndarray:
    """Points turned so the eye line is level (x to the image right, y down), z kept."""
    a = math.radians(roll_deg(pts))
    c, s = math.cos(-a), math.sin(-a)
    xy = pts[:, :2] - pts[:, :2].mean(0)
    out = pts.copy()
    out[:, 0] = xy[:, 0] * c - xy[:, 1] * s
    out[:, 1] = xy[:, 0] * s + xy[:, 1] * c
    return out


def pose(pts: np.ndarray) -> dict[str, float]:
    """Yaw, pitch and roll in degrees from the mesh's 3D points (weak perspective: z shares x's scale).

    Yaw: the cheek-to-cheek axis turning out of the image plane (symmetric, so no zero point is needed).
    Pitch: the brow-to-chin axis leaning out of the plane, less its lean on a level face (PITCH_ZERO_DEG).
    """
    q = _level(pts)
    across = q[CHEEK_L] - q[CHEEK_R]
    yaw = math.degrees(math.atan2(across[2], abs(across[0]) + 1e-9))
    brow = (q[9] + q[8]) / 2            # glabella, between the brows
    down = q[CHIN] - brow
    pitch = math.degrees(math.atan2(-down[2], down[1] + 1e-9)) - PITCH_ZERO_DEG
    return {"yaw_deg": yaw, "pitch_deg": pitch, "roll_deg": roll_deg(pts)}


def iod(pts: np.ndarray) -> float:
    r, l_ = eye_centres(pts)
    return float(np.hypot(*(l_ - r)))


def eye_openness(pts: np.ndarray) -> tuple[float, float]:
    """Eyelid gap / eye width for (R, L): open eyes ~0.25-0.35, closed < 0.1."""
    r = np.mean([_d(pts, a, b) for a, b in LIDS_R]) / max(_d(pts, *CORNERS_R), 1e-6)
    l_ = np.mean([_d(pts, a, b) for a, b in LIDS_L]) / max(_d(pts, *CORNERS_L), 1e-6)
    return float(r), float(l_)


def gaze(rgb: np.ndarray, pts: np.ndarray) -> dict[str, float]:
    """Where the eyes look relative to the head: the iris centre's offset from the middle of the eye
    corners, along and across the eye line, in eye widths; and the horizontal eyeball angle it implies."""
    offsets = []
    for (outer, inner), flip in ((CORNERS_R, False), (CORNERS_L, True)):
        o, i = pts[outer], pts[inner]
        centre, _ = faces.iris(rgb, o, i, flip)
        axis = (i[:2] - o[:2])
        width = float(np.hypot(*axis))
        if width < 2:
            continue
        u = axis / width
        rel = centre - (o[:2] + i[:2]) / 2
        # along the image's x direction (axis of the R eye points right, of the L eye left: unify)
        sign = 1.0 if u[0] >= 0 else -1.0
        offsets.append((sign * float(rel @ u) / width, float(rel @ np.array([-u[1], u[0]]) * sign) / width))
    if not offsets:
        return {"gaze_x": 0.0, "gaze_y": 0.0, "gaze_deg": 0.0}
    gx = float(np.mean([o[0] for o in offsets]))
    gy = float(np.mean([o[1] for o in offsets]))
    return {"gaze_x": gx, "gaze_y": gy,
            "gaze_deg": math.degrees(math.asin(max(-1.0, min(1.0, gx * _GAZE_GAIN))))}


def mouth(pts: np.ndarray) -> dict[str, float]:
    """Lip gap / mouth width, mouth width / IOD (a broad smile widens it), corner lift / IOD (a smile lifts
    the corners above the lip line, a grimace or frown pulls them down) and the mouth's tilt against the eyes."""
    q = _level(pts)
    width = max(float(np.hypot(*(q[MOUTH_CORNERS[1], :2] - q[MOUTH_CORNERS[0], :2]))), 1e-6)
    gap = float(np.hypot(*(q[LIP_INNER_DOWN, :2] - q[LIP_INNER_UP, :2])))
    io = max(iod(pts), 1e-6)
    centre_y = (q[LIP_INNER_UP, 1] + q[LIP_INNER_DOWN, 1]) / 2
    corners_y = (q[MOUTH_CORNERS[0], 1] + q[MOUTH_CORNERS[1], 1]) / 2
    tilt = abs(q[MOUTH_CORNERS[1], 1] - q[MOUTH_CORNERS[0], 1]) / io
    return {"mouth_open": gap / width, "mouth_width": width / io, "mouth_corner_lift": (centre_y - corners_y) / io,
            "mouth_tilt": float(tilt)}


def brows(pts: np.ndarray) -> dict[str, float]:
    """Brow height above the eye (upper lid) / IOD, and the gap between the inner brow ends / IOD: a frown
    lowers the brows and draws them together."""
    q = _level(pts)
    io = max(iod(pts), 1e-6)
    heights = []
    for brow, lid in ((BROW_R, 159), (BROW_L, 386)):
        heights.append((q[lid, 1] - q[list(brow), 1].mean()) / io)
    gap = float(np.hypot(*(q[BROW_INNER_L[1], :2] - q[BROW_INNER_R[1], :2]))) / io
    return {"brow_height": float(np.mean(heights)), "brow_gap": gap}
