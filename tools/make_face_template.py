"""Make pipeline/face_template.py: the rigid 3D face template that head pose is fitted to (pipeline.face_pose).

The template is the mesh's own 3D output averaged over the team's frontal real photos (faces/ and portraits/
that are neither turned nor group photos), each aligned to the running mean by a rotation (generalised
Procrustes on the rigid points), in units of the inter-ocular distance; then made left-right symmetric, and
turned about the ear-to-ear axis so that the median of those photos reads pitch 0 (a level head as
photographers take it). Not run at install time: its output is committed. To remake it:

    .venv/bin/python tools/make_face_template.py > pipeline/face_template.py
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_verdict import labelled  # noqa: E402
from pipeline import face_measures as fm, faces  # noqa: E402
from pipeline.decode import decode_for_analysis  # noqa: E402
from pipeline.face_pose import angles, fit  # noqa: E402

# points fixed to the skull: nose ridge, tip and base; eye corners; forehead; cheekbones (subject R, L pairs)
MIDLINE = (1, 2, 4, 5, 6, 9, 10, 151, 168, 195, 197)
PAIRS = ((33, 263), (133, 362), (98, 327), (108, 337), (50, 280), (116, 345), (123, 352), (64, 294))
RIGID = MIDLINE + tuple(i for pair in PAIRS for i in pair)


def _kabsch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The rotation R minimising |a R^T - b| (rows are points)."""
    u, _, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T


def main() -> int:
    shapes, rolls = [], []
    for path, expected in labelled("all"):
        if path.parent.name == "frames" or expected & {"head_turned", "multiple_faces"}:
            continue
        rgb = decode_for_analysis(path.read_bytes()).rgb
        found = [d for d in faces.find_faces(rgb, 0.5) if d.score >= 0.6]
        if len(found) != 1:
            continue
        pts, _ = faces.mesh(rgb, found[0])
        shape = pts[list(RIGID)] / fm.iod(pts)
        shapes.append(shape - shape.mean(0))
        rolls.append(math.radians(fm.roll_deg(pts)))
    mean = shapes[0]
    for _ in range(8):
        aligned = [s @ _kabsch(s, mean).T for s in shapes]
        mean = np.mean(aligned, axis=0)
        mean -= mean.mean(0)
    where = {i: k for k, i in enumerate(RIGID)}
    # the eye-corner axis becomes x; then mirror-average the pairs and put the midline on x = 0
    across = mean[[where[263], where[362]]].mean(0) - mean[[where[33], where[133]]].mean(0)
    across /= np.linalg.norm(across)
    z = np.cross(across, [0.0, 1.0, 0.0])
    z /= np.linalg.norm(z)
    basis = np.vstack([across, np.cross(z, across), z])
    mean = mean @ basis.T
    sym = mean.copy()
    for r, l_ in PAIRS:
        a, b = mean[where[r]], mean[where[l_]]
        half = np.array([(b[0] - a[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2])
        sym[where[r]] = [-half[0], half[1], half[2]]
        sym[where[l_]] = half
    for i in MIDLINE:
        sym[where[i], 0] = 0.0
    # pitch zero: the median of the frontal photos
    pitches = []
    for shape, roll in zip(shapes, rolls):     # levelled by the eye line's roll, as pipeline.face_pose does
        c, s_ = math.cos(roll), math.sin(roll)
        pitches.append(angles(fit(shape[:, :2] @ np.array([[c, -s_], [s_, c]]), sym)[0])[1])
    a = math.radians(float(np.median(pitches)))
    rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    sym = sym @ rx.T
    sym -= sym.mean(0)
    print('"""Rigid 3D face template for head pose (pipeline.face_pose), in inter-ocular distances: x to the')
    print("image right, y down, z away from the camera. Made by tools/make_face_template.py from the mesh's")
    print(f'mean shape on {len(shapes)} frontal team photos; do not edit by hand."""')
    print("FACE_TEMPLATE: tuple[tuple[int, tuple[float, float, float]], ...] = (")
    for k, i in enumerate(RIGID):
        x, y, zz = sym[k]
        print(f"    ({i}, ({x:.4f}, {y:.4f}, {zz:.4f})),")
    print(")")
    print(f"# median pitch removed: {math.degrees(a):.1f} deg", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
