"""Head pose in degrees: the mesh's 2D landmarks fitted to a rigid 3D face template (weak perspective).

Why not the mesh's own depth: its outline points (cheeks, jaw) follow the silhouette, which slides as the
head turns, and reading yaw off them gave ~0.6x the true angle. The fit uses only points fixed to the skull
(nose ridge and base, eye corners, forehead, cheekbones: not lids, lips, brows or the outline) and only their
image positions, so the angle comes from how far the nose has moved across the eye corners, the way a person
judges a turn. The template (FACE_TEMPLATE) is the mean mesh shape of the team's frontal portraits, made
symmetric, in IOD units; its depth is that of MediaPipe's metric canonical face within ~10 % (nose tip 0.62 vs
0.70 IOD ahead of the outer eye corners), so the angles are real degrees (if anything ~10 % high). tools/make_face_template.py remakes it.
"""
from __future__ import annotations

import math

import numpy as np

from pipeline.face_template import FACE_TEMPLATE

_INDEX = np.array([i for i, _ in FACE_TEMPLATE])
_MODEL = np.array([xyz for _, xyz in FACE_TEMPLATE], dtype=np.float64)
_MODEL -= _MODEL.mean(0)


def _rotation(w: np.ndarray) -> np.ndarray:
    """Rodrigues: the rotation by |w| radians about w."""
    theta = float(np.linalg.norm(w))
    if theta < 1e-12:
        return np.eye(3)
    k = w / theta
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + math.sin(theta) * kx + (1.0 - math.cos(theta)) * kx @ kx


def fit(xy: np.ndarray, model: np.ndarray, iterations: int = 8) -> tuple[np.ndarray, float, float]:
    """(R, scale, rms in model units) minimising |scale * (R @ model)[:2] + t - xy|: an affine start (least
    squares, made orthonormal by SVD), then Gauss-Newton on the rotation and scale."""
    x = xy - xy.mean(0)
    m = model - model.mean(0)
    affine = np.linalg.lstsq(m, x, rcond=None)[0].T                  # 2 x 3
    u, s, vt = np.linalg.svd(affine, full_matrices=False)
    r12 = u @ vt
    rot = np.vstack([r12, np.cross(r12[0], r12[1])])
    scale = float(s.mean())
    for _ in range(iterations):
        p = m @ rot.T                                                 # n x 3, rotated model
        res = (scale * p[:, :2] - x).ravel()
        # d(R p)/d w_j = e_j x p, its x and y, written out as np.cross computes them (a1 b2 - a2 b1,
        # a2 b0 - a0 b2; the zero products kept, so even a zero's sign is np.cross's); rows interleave x and y
        px, py, pz = p[:, 0], p[:, 1], p[:, 2]
        jac = np.empty((len(p), 2, 4))
        jac[:, 0, 0] = scale * (0.0 * pz - 0.0 * py)
        jac[:, 1, 0] = scale * (0.0 * px - pz)
        jac[:, 0, 1] = scale * (pz - 0.0 * py)
        jac[:, 1, 1] = scale * (0.0 * px - 0.0 * pz)
        jac[:, 0, 2] = scale * (0.0 * pz - py)
        jac[:, 1, 2] = scale * (px - 0.0 * pz)
        jac[:, :, 3] = p[:, :2]
        jac = jac.reshape(-1, 4)
        step = np.linalg.lstsq(jac, -res, rcond=None)[0]
        rot = _rotation(step[:3]) @ rot
        scale += float(step[3])
        if float(np.abs(step).max()) < 1e-7:
            break
    rms = math.sqrt(float(np.mean(np.sum((scale * (m @ rot.T)[:, :2] - x) ** 2, axis=1)))) / max(scale, 1e-9)
    return rot, scale, rms


def angles(rot: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of R = Rz(roll) Rx(pitch) Ry(yaw) acting on the template (x to the image
    right, y down, z away from the camera). Positive yaw: the nose turns to the image left; positive pitch:
    the chin drops."""
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, float(rot[0, 2])))))
    pitch = math.degrees(math.atan2(-float(rot[1, 2]), float(rot[2, 2])))
    roll = math.degrees(math.atan2(-float(rot[0, 1]), float(rot[0, 0])))
    return yaw, pitch, roll


def head_pose(pts: np.ndarray, roll_deg: float) -> dict[str, float]:
    """Yaw and pitch (degrees) of a face from its 468 mesh points, and the fit's residual in IOD units
    (a badly placed mesh fits badly: ~0.01-0.03 on good faces). The points are first turned level by the
    eye line's roll (measured apart, pipeline.face_measures.roll_deg), so yaw and pitch do not mix with it."""
    xy = pts[_INDEX, :2].astype(np.float64)
    a = math.radians(roll_deg)
    c, s = math.cos(a), math.sin(a)
    level = (xy - xy.mean(0)) @ np.array([[c, -s], [s, c]])
    rot, _, rms = fit(level, _MODEL)
    yaw, pitch, _ = angles(rot)
    return {"yaw_deg": yaw, "pitch_deg": pitch, "pose_fit_rms": rms}
