"""What the face itself does, from the mesh landmarks: roll, eye opening, mouth (open, width, corners).

Head pose (yaw, pitch) is fitted in pipeline.face_pose; gaze and teeth need the pixels (pipeline.analyse).

Every measure is a landmark ratio normalised by the inter-ocular distance (IOD) or an angle, so it does not
depend on how large the face is in the frame. Indices are MediaPipe's 468-point face-mesh topology; "R"/"L"
are the SUBJECT's right/left (R is on the image's left in a frontal photo).
"""
from __future__ import annotations

import math

import numpy as np

EYE_R = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
EYE_L = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
LIDS_R = ((159, 145), (158, 153), (160, 144))
LIDS_L = ((386, 374), (385, 380), (387, 373))
CORNERS_R, CORNERS_L = (33, 133), (263, 362)        # (outer, inner)
BROW_R = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)
BROW_L = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
CHEEK_R, CHEEK_L, NOSE_TIP, CHIN, FOREHEAD = 234, 454, 1, 152, 10
MOUTH_CORNERS = (61, 291)
LIP_INNER_UP, LIP_INNER_DOWN = 13, 14
LIP_OUTER_UP, LIP_OUTER_DOWN = 0, 17
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)


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


def iod(pts: np.ndarray) -> float:
    r, l_ = eye_centres(pts)
    return float(np.hypot(*(l_ - r)))


def eye_openness(pts: np.ndarray) -> tuple[float, float]:
    """Eyelid gap / eye width for (R, L): open eyes ~0.25-0.35, closed < 0.1."""
    r = np.mean([_d(pts, a, b) for a, b in LIDS_R]) / max(_d(pts, *CORNERS_R), 1e-6)
    l_ = np.mean([_d(pts, a, b) for a, b in LIDS_L]) / max(_d(pts, *CORNERS_L), 1e-6)
    return float(r), float(l_)


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
