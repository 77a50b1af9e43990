"""What the face wears and how it is lit: glasses (and their glare or tint), hair over the brows and ears,
jewellery, one-sided light, frown lines. (Hats and glasses are also named by the face parser,
pipeline/face_parse.py; the forehead's cover is pipeline/head_cover.py.)

Each is a plain image measure in a region placed from the landmarks
and sized in inter-ocular distances (IOD): colour against the person's own skin and hair (Lab), edge energy
against the face's own edge energy. Most regions are axis-aligned boxes (the roll they can be off by is the
+-8 degrees the verdict allows anyway); the texture measure (frown lines) reads a patch turned level
with the eyes and scaled to a fixed IOD, so a line's strength means the same on every photo.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.colour import lab_distance, pixels_where
from pipeline.face_measures import BROW_L, BROW_R

SKIN_DE = 16.0        # Lab distance (L weighted half) within which a pixel counts as the face's own skin


BRIDGE_ALONE = 0.65   # weight of the bridge alone in the glasses measure (tuned on the real tuning part)
PATCH_IOD = 100.0     # the levelled patch's scale: IOD in pixels
_PATCH_W, _PATCH_H, _PATCH_EYE_Y = 300, 300, 250     # 1.5 IOD either side, 2.5 IOD above the eyes


@dataclass(frozen=True)
class Levelled:
    """The upper face turned so the eyes are level and scaled to PATCH_IOD: grey levels (float32), which
    pixels lie inside the picture, and the mesh points (x, y) in the patch."""
    grey: np.ndarray
    inside: np.ndarray
    pts: np.ndarray


def levelled(grey: np.ndarray, pts: np.ndarray, eye_mid: np.ndarray, iod: float, roll_deg: float) -> Levelled:
    a = np.radians(roll_deg)
    s = PATCH_IOD / max(iod, 1e-6)
    c, si = float(np.cos(-a)), float(np.sin(-a))
    m = np.array([[c * s, -si * s, 0.0], [si * s, c * s, 0.0]])
    m[:, 2] = np.array([_PATCH_W / 2, _PATCH_EYE_Y]) - m[:, :2] @ eye_mid
    size = (_PATCH_W, _PATCH_H)
    patch = cv2.warpAffine(grey, m, size, flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT)
    inside = cv2.warpAffine(np.ones(grey.shape[:2], np.uint8), m, size, flags=cv2.INTER_NEAREST,
                            borderMode=cv2.BORDER_CONSTANT).astype(bool)
    return Levelled(patch, inside, pts[:, :2] @ m[:, :2].T + m[:, 2])


@dataclass(frozen=True)
class FaceFrame:
    """The face's reference frame in analysis pixels: eye centres (image left, image right), IOD, and the
    points the regions hang from."""
    eye_left: np.ndarray
    eye_right: np.ndarray
    iod: float
    brow_y: float          # mean brow line
    top_y: float           # top of the forehead (mesh point 10)
    chin: np.ndarray
    cheek_left_x: float    # face outline at the ears (image left / right)
    cheek_right_x: float

    @property
    def mid(self) -> np.ndarray:
        return (self.eye_left + self.eye_right) / 2


def _box(img: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    h, w = img.shape[:2]
    xa, xb = int(max(0, min(x0, x1))), int(min(w, max(x0, x1)))
    ya, yb = int(max(0, min(y0, y1))), int(min(h, max(y0, y1)))
    return img[ya:yb, xa:xb]


def _skin_distance(lab: np.ndarray, skin: np.ndarray) -> np.ndarray:
    d = lab - skin
    return np.sqrt((0.5 * d[..., 0]) ** 2 + d[..., 1] ** 2 + d[..., 2] ** 2)


def skin_colour(lab: np.ndarray, f: FaceFrame) -> np.ndarray:
    """Median Lab of the two cheek patches under the eyes (no hair, no brows, rarely glasses rims)."""
    r = 0.12 * f.iod
    parts = [_box(lab, e[0] - r, e[1] + 0.45 * f.iod - r, e[0] + r, e[1] + 0.45 * f.iod + r).reshape(-1, 3)
             for e in (f.eye_left, f.eye_right)]
    sample = np.concatenate(parts)
    return np.median(sample, axis=0) if len(sample) else np.array([60.0, 10.0, 15.0])


def _skin_share(lab: np.ndarray, skin: np.ndarray, region: np.ndarray | None = None) -> float | None:
    region = lab if region is None else region
    if region.size < 30:
        return None
    return float(np.mean(_skin_distance(region, skin) < SKIN_DE))


def hair_over_brows(lab: np.ndarray, skin: np.ndarray, f: FaceFrame) -> float | None:
    """Share of the band just above the brows that is not skin: a fringe reaching the brows covers it."""
    x0, x1 = f.eye_left[0] - 0.2 * f.iod, f.eye_right[0] + 0.2 * f.iod
    band = _box(lab, x0, f.brow_y - 0.3 * f.iod, x1, f.brow_y - 0.08 * f.iod)
    share = _skin_share(lab, skin, band)
    return None if share is None else 1.0 - share


def hair_over_eyes(lab: np.ndarray, skin: np.ndarray, f: FaceFrame) -> float | None:
    """Share of the lid zone between brow and eye (both sides) that is not skin: hair hanging over an eye."""
    shares = []
    for e in (f.eye_left, f.eye_right):
        zone = _box(lab, e[0] - 0.3 * f.iod, f.brow_y + 0.04 * f.iod, e[0] + 0.3 * f.iod, e[1] - 0.12 * f.iod)
        s = _skin_share(lab, skin, zone)
        if s is not None:
            shares.append(1.0 - s)
    return max(shares) if shares else None


def hair_colour(lab: np.ndarray, skin: np.ndarray, brow_lab: np.ndarray, f: FaceFrame) -> np.ndarray:
    """The person's hair colour: the median of the not-skin pixels above the forehead when there are enough
    of them, else the brows' colour (a bald or close-cropped head)."""
    top = _box(lab, f.eye_left[0], f.top_y - 0.55 * f.iod, f.eye_right[0], f.top_y - 0.15 * f.iod).reshape(-1, 3)
    hair = pixels_where(top, lab_distance(top, skin) > 15)
    return np.median(hair, axis=0) if len(hair) > max(20, 0.3 * len(top)) else brow_lab


def hair_over_ears(lab: np.ndarray, skin: np.ndarray, hair: np.ndarray, backdrop: np.ndarray,
                   f: FaceFrame) -> float | None:
    """Share of the box beside each cheek at ear height that is of the hair's colour (and neither skin nor
    backdrop), the larger side: long hair hanging over an ear fills it, a visible ear or the backdrop does
    not. Colour against the person's own hair, not "is there skin", because an ear is often in shadow,
    pinker than the face, or narrower than the box."""
    shares = []
    for x, side in ((f.cheek_left_x, -1), (f.cheek_right_x, 1)):
        box = _box(lab, x + side * 0.02 * f.iod, f.mid[1] + 0.05 * f.iod, x + side * 0.3 * f.iod,
                   f.mid[1] + 0.55 * f.iod).reshape(-1, 3)
        if len(box) < 30:
            return None        # an ear outside the frame cannot be judged
        near = lambda ref, d: lab_distance(box, ref) < d  # noqa: E731
        shares.append(float(np.mean(near(hair, 18) & ~near(backdrop, 10) & ~near(skin, 10))))
    return max(shares)


def _edge_energy(grey: np.ndarray, x0: float, y0: float, x1: float, y1: float, dx: int, dy: int) -> float:
    """Mean |Sobel| (dx, dy order) inside a box, computed on the box alone (a whole-frame Sobel is not free)."""
    patch = _box(grey, x0 - 2, y0 - 2, x1 + 2, y1 + 2)
    if patch.shape[0] < 5 or patch.shape[1] < 5:
        return 0.0
    g = np.abs(cv2.Sobel(patch, cv2.CV_32F, dx, dy, ksize=3))
    return float(g[2:-2, 2:-2].mean())


def glasses(grey: np.ndarray, f: FaceFrame, face_energy: float) -> dict[str, float]:
    """Edge energy of a frame's parts against the face's mean edge energy: the bridge over the nose between
    the eyes (a horizontal bar) and the lower rims on the cheeks below the eyes. Bare skin there is smooth."""
    io, (mx, my) = f.iod, f.mid
    bridge = _edge_energy(grey, mx - 0.12 * io, my - 0.18 * io, mx + 0.12 * io, my + 0.05 * io, 0, 1)
    rims = [_edge_energy(grey, e[0] - 0.3 * io, e[1] + 0.18 * io, e[0] + 0.3 * io, e[1] + 0.42 * io, 0, 1)
            for e in (f.eye_left, f.eye_right)]
    e = max(face_energy, 1e-3)
    b, r = bridge / e, float(np.mean(rims)) / e
    # a full frame shows both parts; half-rim and rimless frames show the bridge only, so a bridge alone counts
    # when it is much stronger (BRIDGE_ALONE: on the team's real glasses it alone is 1.6-3.4x the face's edges)
    return {"glasses_bridge": b, "glasses_rims": r, "glasses": max(min(b, r), BRIDGE_ALONE * b)}


def lens_zone(img: np.ndarray, f: FaceFrame) -> list[np.ndarray]:
    io = f.iod
    return [_box(img, e[0] - 0.4 * io, e[1] - 0.25 * io, e[0] + 0.4 * io, e[1] + 0.3 * io)
            for e in (f.eye_left, f.eye_right)]


def glare(rgb: np.ndarray, f: FaceFrame) -> float:
    """Share of near-white, colourless pixels around the eyes (a reflection on lenses); a catchlight in the
    pupil is a few pixels, far below any band."""
    shares = []
    for zone in lens_zone(rgb, f):
        if zone.size == 0:
            continue
        z = zone.reshape(-1, 3).astype(np.int16)
        lo = np.minimum(np.minimum(z[:, 0], z[:, 1]), z[:, 2])     # = min(axis=1) / max(axis=1), faster
        hi = np.maximum(np.maximum(z[:, 0], z[:, 1]), z[:, 2])
        white = (lo >= 235) & ((hi - lo) <= 25)
        shares.append(float(white.mean()))
    return max(shares) if shares else 0.0


def tint(lab: np.ndarray, skin: np.ndarray, f: FaceFrame) -> float:
    """How much darker (L*) the cheek just under the eyes is than the cheek below it: a tinted lens darkens
    the first and not the second."""
    io = f.iod
    under, below = [], []
    for e in (f.eye_left, f.eye_right):
        under.append(_box(lab, e[0] - 0.2 * io, e[1] + 0.12 * io, e[0] + 0.2 * io, e[1] + 0.3 * io)[..., 0].ravel())
        below.append(_box(lab, e[0] - 0.2 * io, e[1] + 0.6 * io, e[0] + 0.2 * io, e[1] + 0.75 * io)[..., 0].ravel())
    u, b = np.concatenate(under), np.concatenate(below)
    if u.size < 10 or b.size < 10:
        return 0.0
    return float(np.median(b) - np.median(u))


def uneven_light(lab: np.ndarray, f: FaceFrame) -> float:
    """L* difference between the two cheeks (one-sided shadow)."""
    io = f.iod
    values = []
    for e, side in ((f.eye_left, -1), (f.eye_right, 1)):
        x = e[0] + side * 0.05 * io
        patch = _box(lab, x - 0.15 * io, e[1] + 0.35 * io, x + 0.15 * io, e[1] + 0.75 * io)
        if patch.size == 0:
            return 0.0
        values.append(float(np.median(patch[..., 0])))
    return abs(values[0] - values[1])


def frown_lines(patch: Levelled, lab: np.ndarray, skin: np.ndarray, f: FaceFrame) -> float | None:
    """Strength of dark vertical lines between the brows (the creases a frown draws there): the positive part
    of d2/dx2 of the levelled patch, smoothed at 2.5 px (0.025 IOD), averaged over the glabella. A ridge
    filter answers to thin dark lines only, not to the skin's texture or a beard, which raise plain edge
    energy. None when that patch is not mostly skin (hair strands hanging there are lines too)."""
    (mx, _), io = f.mid, f.iod
    share = _skin_share(lab, skin, _box(lab, mx - 0.12 * io, f.brow_y - 0.02 * io, mx + 0.12 * io,
                                        f.brow_y + 0.16 * io))
    if share is None or share < 0.8:
        return None
    q = patch.pts
    cx = (q[33, 0] + q[263, 0]) / 2
    brow_y = float(q[list(BROW_R + BROW_L), 1].mean())
    pad = 10                                  # the blur's reach: the glabella's own values are kept
    y0, y1, x0, x1 = int(brow_y) - 2 - pad, int(brow_y) + 16 + pad, int(cx) - 12 - pad, int(cx) + 12 + pad
    if y0 < 0 or x0 < 0 or y1 > patch.grey.shape[0] or x1 > patch.grey.shape[1] \
            or not patch.inside[y0 + pad:y1 - pad, x0 + pad:x1 - pad].all():
        return None
    smooth = cv2.GaussianBlur(patch.grey[y0:y1, x0:x1], (0, 0), 2.5)
    ridge = cv2.Sobel(smooth, cv2.CV_32F, 2, 0, ksize=3)[pad:-pad, pad:-pad]
    return float(np.clip(ridge, 0, None).mean())


def sparkle(lab: np.ndarray, skin: np.ndarray, f: FaceFrame) -> float:
    """Share of small bright or metallic-looking pixels under the ear lobes and at the neck (earrings,
    necklaces): much lighter than the skin, or strongly saturated gold, where skin or cloth is expected."""
    io = f.iod
    regions = [_box(lab, x + side * 0.0 * io, f.mid[1] + 0.55 * io, x + side * 0.3 * io, f.mid[1] + 1.05 * io)
               for x, side in ((f.cheek_left_x, -1), (f.cheek_right_x, 1))]
    regions.append(_box(lab, f.chin[0] - 0.55 * io, f.chin[1] + 0.35 * io, f.chin[0] + 0.55 * io,
                        f.chin[1] + 0.9 * io))
    shares = []
    for r in regions:
        if r.size < 30:
            continue
        p = r.reshape(-1, 3)
        bright = p[:, 0] > max(skin[0] + 25, 80)
        gold = (p[:, 2] > 35) & (p[:, 0] > skin[0]) & (np.hypot(p[:, 1], p[:, 2]) > np.hypot(skin[1], skin[2]) + 15)
        shares.append(float(np.mean(bright | gold)))
    return max(shares) if shares else 0.0
