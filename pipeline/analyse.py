"""Measure one frame: the face, its landmarks, the crown against the backdrop, and the quality signals.

Everything is measured on the small analysis image and reported in upright full-frame pixels, so the planner
can work in the frame's own coordinates. Each quality signal is a plain number; the verdict compares it with
the preset's threshold, so a school can tune any of them.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from config.formats import FormatPreset
from pipeline import appearance, clothing, early_look, face_parse, face_pose, faces, head_cover
from pipeline import face_measures as fm
from pipeline.colour import lab_distance, pixels_where
from pipeline.decode import Decoded
from pipeline.errors import PipelineError

log = logging.getLogger(__name__)

# face-mesh indices (MediaPipe 468-point topology): the rest are in face_measures
CHEEK_R, CHEEK_L, NOSE_TIP, CHIN = fm.CHEEK_R, fm.CHEEK_L, fm.NOSE_TIP, fm.CHIN
OUTER_LIPS = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146)
# degrees the iris-offset angle moves per degree of head yaw when the eyes stay on the lens (a positive yaw
# turns the nose to the image left, a positive offset the eyes to the image right): least squares over the
# team's single-face photos, all looking at the camera (49 faces/ and portraits/ photos: 0.55, residual sd 4.9 deg)
IRIS_PARALLAX = 0.55
# the region that matters, in IODs from the face: every measure but the backdrop's looks within it (the
# farthest, the shoulder line, 2.3 IOD beside the face centre and 2.5 below the chin). Colour conversion and
# the masks run on it only: a 3:2 station frame keeps about half its pixels.
REGION_SIDE_IOD = 3.2
REGION_BELOW_IOD = 3.2
# mid-band variance (grey levels squared) below which a picture shows no shapes to judge its sharpness by
MIN_SHAPES = 2.0
# OpenCV's 8-bit Lab (L * 255/100, a + 128, b + 128) to float Lab, as one table lookup per channel
_LAB_TABLE = np.stack([np.arange(256) * (100.0 / 255.0), np.arange(256) - 128.0, np.arange(256) - 128.0],
                      axis=-1).astype(np.float32)[None]


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
    mesh: np.ndarray | None = field(default=None, repr=False, compare=False)   # 468 x 3, analysis pixels

    @property
    def eye_mid(self) -> tuple[float, float]:
        return ((self.eye_left[0] + self.eye_right[0]) / 2, (self.eye_left[1] + self.eye_right[1]) / 2)


def _lab(rgb: np.ndarray) -> np.ndarray:
    """CIE Lab as float32 (L 0-100, a and b around 0) through OpenCV's 8-bit conversion, scaled in one pass."""
    return cv2.LUT(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB), _LAB_TABLE)


class LazyLab:
    """The Lab of an RGB picture (as `_lab` would give it), converted where it is read: every measure reads
    boxes of the region (the crown's strip, patches of the face, the shoulders, ten columns for the shoulder
    line), a third of its pixels or less, so most of the region is never converted. The conversion is per
    pixel, so a box read here is the same box of the whole picture's Lab; anything but a box (a numpy function
    on the whole) converts all of it once."""

    def __init__(self, rgb: np.ndarray) -> None:
        self._rgb = rgb
        self.shape = rgb.shape
        self.ndim = rgb.ndim
        self._whole: np.ndarray | None = None

    def whole(self) -> np.ndarray:
        if self._whole is None:
            self._whole = _lab(self._rgb)
        return self._whole

    def __array__(self, dtype=None, copy=None) -> np.ndarray:  # noqa: ANN001 - numpy's protocol
        return self.whole() if dtype is None else self.whole().astype(dtype)

    def __getitem__(self, key):  # noqa: ANN001, ANN204 - a box (slices, or a row range and one column)
        if self._whole is None and isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], slice) \
                and key[0].step in (None, 1):
            rows, col = key
            if isinstance(col, slice) and col.step in (None, 1):
                part = self._rgb[rows, col]
                return _lab(part) if part.size else np.zeros(part.shape, np.float32)
            if isinstance(col, (int, np.integer)) and 0 <= col < self.shape[1]:
                part = self._rgb[rows, int(col):int(col) + 1]
                return (_lab(part) if part.size else np.zeros(part.shape, np.float32))[:, 0]
        return self.whole()[key]


def lab_of(rgb: tuple[int, int, int]) -> np.ndarray:
    return _lab(np.array([[rgb]], dtype=np.uint8))[0, 0]


def _dist(p: np.ndarray, a: int, b: int) -> float:
    return float(np.hypot(*(p[a, :2] - p[b, :2])))


def analyse(decoded: Decoded, preset: FormatPreset, *, geometry_only: bool = False,
            while_parsing: Callable[[Analysis], None] | None = None,
            look: early_look.EarlyLook | None = None) -> Analysis:
    """Detect, count, landmark and measure. `faces` == 1 is the only case with measures.

    `geometry_only` (used to re-check finished photos) measures eyes, face width and crown only, with one
    mesh pass: about half the cost, which is what makes re-validating a whole export fast.

    `while_parsing` is called on this thread with the face's analysis without the face parser's measures
    (every geometry measure is final), while the parser still runs on its own: work that needs only the
    geometry (the crop plan, the finished photo) fills this thread's wait for it. The analysis it sees may
    still be discarded (a second face found by the full-range tiles).

    `look` (pipeline.early_look): the short-range pass and the full-range tiles already running on a smaller
    decode of the frame.
    """
    rgb = decoded.rgb
    least = preset.checks.min_face_score
    # faces.find_faces, with its full-range tiles on a background thread from the start: the usual frame's
    # face is meshed and measured meanwhile, and the measures stand only when the merged answer is that one
    # face (else: as if measured after the search); a group (two short-range faces) needs no tiles
    tiles = faces.tiles_later(rgb, faces.DETECT_FLOOR) if look is None else None
    early = look.short_face(rgb.shape[1], least) if look is not None else None
    short = [early] if early is not None else faces.detect(rgb, faces.DETECT_FLOOR, faces.SHORT_RANGE)
    if len(short) >= 2:
        for running in (tiles, look):
            if running is not None:
                running.cancel()
        found = faces.merge(short, [])
        real = [d for d in found if d.score >= least]
    elif len(short) == 1 and short[0].score >= least:
        try:
            measured: Analysis | BaseException = _measure(decoded, preset, short[0], geometry_only,
                                                               while_parsing)
        except Exception as exc:  # noqa: BLE001 - raised below if this face is the answer
            measured = exc
        if look is not None and look.alone(short[0], rgb.shape[1], least):
            real = [short[0]]
        else:       # the tiles on the analysis picture decide (the smaller decode's only confirm a lone face)
            found = faces.merge(short, faces.wide_passes(rgb, faces.DETECT_FLOOR, short,
                                                         tiles.result() if tiles is not None else None))
            real = [d for d in found if d.score >= least]
        if len(real) == 1 and real[0].box == short[0].box:     # that face (its score may be a tile's)
            if isinstance(measured, BaseException):
                raise measured
            return measured
    else:
        found = faces.merge(short, faces.wide_passes(rgb, faces.DETECT_FLOOR, short,
                                                     tiles.result() if tiles is not None else None))
        real = [d for d in found if d.score >= least]
    if len(real) != 1:
        return Analysis(faces=len(real), score=max((d.score for d in found), default=0.0))
    return _measure(decoded, preset, real[0], geometry_only, while_parsing)


def _measure(decoded: Decoded, preset: FormatPreset, det: faces.Detection, geometry_only: bool,
             while_parsing: Callable[[Analysis], None] | None = None) -> Analysis:
    """Landmarks and every measure of the one face `det` (see `analyse`)."""
    rgb = decoded.rgb
    pts, presence = faces.mesh(rgb, det, refine=False)
    parsed = None
    if not geometry_only:
        # the face parser, the verdict's longest step, starts from the mesh's first pass (its crop needs only
        # the face's box and roll) on its own thread, while the second pass and every other measure run
        parsed = face_parse.parse_later(rgb, pts)
        pts, presence = faces.refine_mesh(rgb, pts)
    k = decoded.scale
    full_rgb, ox, mesh = rgb, 0, pts
    if not geometry_only:      # measure on the region that matters, in its own pixels (x shifted by ox)
        rgb, ox = _region(rgb, pts)
        pts = pts - np.array([ox, 0.0, 0.0])
    eye_r, eye_l = fm.eye_centres(pts)
    left, right = (eye_r, eye_l) if eye_r[0] <= eye_l[0] else (eye_l, eye_r)
    roll = fm.roll_deg(pts)
    face_w = _dist(pts, CHEEK_R, CHEEK_L)
    iod = float(np.hypot(*(right - left)))
    chin_y = float(pts[CHIN, 1])
    cx = float((left[0] + right[0]) / 2)
    eye_y = float((left[1] + right[1]) / 2)

    back = preset.background
    if geometry_only:        # crown and backdrop only look above the eyes
        above = np.ascontiguousarray(rgb[: max(2, int(eye_y) + 1)])
        lab = _lab(above)
        bg_lab, _ = _backdrop(above, cx, eye_y, face_w)
        crown, at_edge = _crown(lab, bg_lab, back.segment_threshold, cx, eye_y, face_w)
        return Analysis(faces=1, score=det.score, eye_left=(float(left[0]) * k, float(left[1]) * k),
                        eye_right=(float(right[0]) * k, float(right[1]) * k), face_width=face_w * k,
                        crown_y=crown * k, crown_at_edge=at_edge, chin_y=chin_y * k,
                        measures={"roll_deg": roll, "score": det.score})
    lab = LazyLab(rgb)
    bg_lab, spread = _backdrop(full_rgb, cx + ox, eye_y, face_w)
    crown, at_edge = _crown(lab, bg_lab, back.segment_threshold, cx, eye_y, face_w)
    hull = cv2.convexHull(pts[:, :2].astype(np.float32)).astype(np.int32)
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)
    hx, hy, hw, hh = cv2.boundingRect(hull)      # the face's pixels, picked from its box (same order as the whole)
    box = (slice(max(0, hy), max(0, hy + hh)), slice(max(0, hx), max(0, hx + hw)))
    face_px = pixels_where(rgb[box], mask[box])
    brightest = np.maximum(np.maximum(face_px[:, 0], face_px[:, 1]), face_px[:, 2])   # = max(axis=1), faster
    clipped = float(np.mean(brightest >= 250)) if face_px.size else 0.0
    luma = face_px @ np.array([0.299, 0.587, 0.114]) if face_px.size else np.zeros(1)
    dark = float(np.mean(luma < 35))
    sharp = _sharpness(rgb, hull)
    measures: dict[str, float] = {"score": det.score, "presence": presence, "iod_px": iod * k, "sharpness": sharp,
                                  "clipped": clipped, "dark": dark, "background_spread": spread,
                                  "background_distance": float(np.linalg.norm(bg_lab - lab_of(back.rgb)))}
    measures.update(face_pose.head_pose(pts, roll))
    measures["roll_deg"] = roll
    d1 = abs(pts[NOSE_TIP, 0] - pts[CHEEK_R, 0])
    d2 = abs(pts[CHEEK_L, 0] - pts[NOSE_TIP, 0])
    measures["yaw_ratio"] = float((d1 - d2) / max(d1 + d2, 1e-6))
    measures.update(_eyes(pts, measures["yaw_deg"], _irises(rgb, pts)))
    measures.update(fm.mouth(pts))
    measures["teeth"] = _teeth(lab, pts, iod)
    frame = _face_frame(pts, left, right, iod)
    skin = appearance.skin_colour(lab, frame)
    hair = _brow_colour(lab, pts)
    measures.update(_appearance(rgb, lab, pts, mask, bg_lab, frame, skin, hair))
    # the top and the shoulders
    top = clothing.top_pixels(rgb, lab, bg_lab, skin, hair, cx, chin_y, iod, back.segment_threshold)
    if top is not None:
        shares = clothing.family_shares(*top)
        forbidden = [shares.get(name, 0.0) for name in preset.checks.forbidden_colours]
        measures["clothing_colour"] = max(forbidden, default=0.0)
    like = _clothing(lab, bg_lab, cx, chin_y, face_w)     # the whole shoulder box, backdrop-like pixels included
    if like is not None:
        measures["clothing_distance"] = like
    if spread <= back.max_spread:          # the shoulder line is only found against a plain backdrop
        tilt = clothing.shoulder_tilt(lab, bg_lab, back.segment_threshold, cx, chin_y, iod)
        if tilt is not None:
            measures["shoulders_deg"] = tilt
    xs, ys = pts[:, 0] + ox, pts[:, 1]
    found = Analysis(
        faces=1, score=det.score, eye_left=(float(left[0] + ox) * k, float(left[1]) * k),
        eye_right=(float(right[0] + ox) * k, float(right[1]) * k), face_width=face_w * k,
        face_box=(float(xs.min()) * k, float(ys.min()) * k, float(xs.max()) * k, float(ys.max()) * k),
        crown_y=crown * k, crown_at_edge=at_edge, chin_y=chin_y * k, measures=measures, mesh=mesh)
    if while_parsing is not None:
        while_parsing(replace(found, measures=dict(measures)))
    try:
        measures.update(face_parse.measures(parsed.result(), mesh))
    except PipelineError as exc:        # a face too small to parse: the other measures still stand
        log.info("face parser skipped: %s", exc)
    head_cover.with_parser(measures)
    return found


def _region(rgb: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, int]:
    """The columns REGION_SIDE_IOD either side of the face and the rows from the top to REGION_BELOW_IOD below
    the chin (a view, no copy), and its first column."""
    h, w = rgb.shape[:2]
    r, l_ = fm.eye_centres(pts)
    iod = float(np.hypot(*(l_ - r)))
    cx = float((r[0] + l_[0]) / 2)
    x0 = max(0, int(cx - REGION_SIDE_IOD * iod))
    x1 = min(w, int(math.ceil(cx + REGION_SIDE_IOD * iod)) + 1)
    y1 = min(h, int(math.ceil(float(pts[CHIN, 1]) + REGION_BELOW_IOD * iod)) + 1)
    if x1 - x0 < 8 or y1 < 8:
        return rgb, 0
    return rgb[:y1, x0:x1], x0


def _face_frame(pts: np.ndarray, left: np.ndarray, right: np.ndarray, iod: float) -> appearance.FaceFrame:
    brow_y = float(pts[list(fm.BROW_R + fm.BROW_L), 1].mean())
    xl, xr = sorted((float(pts[CHEEK_R, 0]), float(pts[CHEEK_L, 0])))
    return appearance.FaceFrame(np.asarray(left, float), np.asarray(right, float), iod, brow_y,
                                float(pts[fm.FOREHEAD, 1]), pts[CHIN, :2].astype(float), xl, xr)


def _brow_colour(lab: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Median Lab on the brow points (hair is usually of the brows' colour)."""
    h, w = lab.shape[:2]
    idx = list(fm.BROW_R + fm.BROW_L)
    xy = np.clip(pts[idx, :2].round().astype(int), 0, [w - 1, h - 1])
    r = max(1, int(0.02 * float(np.ptp(pts[idx, 0]))))   # a few pixels round each point: the mesh may sit on the brow's edge
    near = np.concatenate([lab[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1].reshape(-1, 3) for x, y in xy])
    darker = near[near[:, 0] <= np.percentile(near[:, 0], 40)]   # brow hairs are the darker part of the patch
    return np.median(darker, axis=0)


def _irises(rgb: np.ndarray, pts: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The iris model on each eye, in `_EYES` order: (iris centre, eyelid contour)."""
    return [faces.iris(rgb, pts[outer], pts[inner], flip) for (outer, inner), flip in _EYES]


_EYES = ((fm.CORNERS_R, False), (fm.CORNERS_L, True))


def _eyes(pts: np.ndarray, yaw: float, irises: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Eye opening from the iris model's eyelid contour (the face mesh keeps closed lids open), the iris
    position (gaze, given the head's yaw in degrees) and, for compatibility, the mesh's own lid ratio.
    `irises`: `_irises` of the same points."""
    opening = []
    gaze = []
    for ((outer, inner), _), (centre, contour) in zip(_EYES, irises):
        o, i = pts[outer, :2], pts[inner, :2]
        axis = i - o
        width = float(np.hypot(*axis))
        if width < 2:
            continue
        u = axis / width
        n = np.array([-u[1], u[0]])
        across = (contour[:16] - o) @ n
        opening.append(float(across.max() - across.min()) / width)
        rel = centre - (o + i) / 2
        sign = 1.0 if u[0] >= 0 else -1.0
        gaze.append(sign * float(rel @ u) / width)
    mesh_r, mesh_l = fm.eye_openness(pts)
    gx = float(np.mean(gaze)) if gaze else 0.0
    eyeball = math.degrees(math.asin(max(-1.0, min(1.0, gx * 2.5))))   # + : the eyes turn to the image right
    # where the eyes point, ~0 for a student who looks at the lens even with the head a little turned: the
    # iris sits in front of the eye corners, so a turned head shifts it across them by parallax as well
    # a wink: one eye far less open than the other (1.0 when only one eye was measured)
    ratio = min(opening) / max(max(opening), 1e-6) if len(opening) == 2 else 1.0
    return {"eye_open": min(opening) if opening else 0.0, "eye_open_mesh": min(mesh_r, mesh_l),
            "eye_open_other": max(opening) if opening else 0.0, "eye_open_ratio": ratio,
            "gaze_x": gx, "gaze_deg": eyeball - IRIS_PARALLAX * yaw}


def _teeth(lab: np.ndarray, pts: np.ndarray, iod: float) -> float:
    """Area of teeth between the lips / IOD^2: pixels inside the inner lip line clearly lighter than the lips
    and less red (in a grey picture: lighter only). A closed mouth has next to no inside."""
    lips_out = pts[list(OUTER_LIPS), :2].round().astype(np.int32)
    h, w = lab.shape[:2]
    x0, y0 = np.clip(lips_out.min(0) - 1, 0, [w, h])           # the mouth's box: masks and pixels there only
    x1, y1 = np.clip(lips_out.max(0) + 2, 0, [w, h])
    lab = lab[y0:y1, x0:x1]
    shift = np.array([x0, y0], np.int32)
    inner = np.zeros(lab.shape[:2], np.uint8)
    cv2.fillPoly(inner, [pts[list(fm.INNER_LIPS), :2].round().astype(np.int32) - shift], 1)
    outer = np.zeros_like(inner)
    cv2.fillPoly(outer, [lips_out - shift], 1)
    ring = (outer == 1) & (inner == 0)
    inside = pixels_where(lab, inner == 1)
    if inside.size == 0 or not ring.any():
        return 0.0
    lips = np.median(pixels_where(lab, ring), axis=0)
    grey = float(np.abs(pixels_where(lab, outer == 1)[:, 1:]).mean()) < 3
    if grey:
        teeth = inside[:, 0] > lips[0] + 15
    else:
        teeth = (inside[:, 0] > lips[0] + 8) & (inside[:, 1] < lips[1] - 6)
    return float(teeth.sum()) / max(iod * iod, 1e-6)


def _appearance(rgb: np.ndarray, lab: np.ndarray, pts: np.ndarray, mask: np.ndarray, bg_lab: np.ndarray,
                f: appearance.FaceFrame, skin: np.ndarray, brows: np.ndarray) -> dict[str, float]:
    """The appearance measures; `f`, `skin` and `brows` as the caller measured them (`_face_frame`,
    `appearance.skin_colour`, `_brow_colour`), not measured twice."""
    iod = f.iod
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    x, y, w, h = cv2.boundingRect(mask)
    gx = cv2.Sobel(grey[y:y + h, x:x + w], cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey[y:y + h, x:x + w], cv2.CV_32F, 0, 1, ksize=3)
    inside = mask[y:y + h, x:x + w].astype(bool)
    energy = float((np.abs(gx) + np.abs(gy))[inside].mean() / 2) if inside.any() else 1.0
    patch = appearance.levelled(grey, pts, f.mid, iod, fm.roll_deg(pts))
    out = appearance.glasses(grey, f, energy)
    out["glare"] = appearance.glare(rgb, f)
    out["tint"] = appearance.tint(lab, skin, f)
    out["uneven_light"] = appearance.uneven_light(lab, f)
    out["jewellery"] = appearance.sparkle(lab, skin, f)
    hair = appearance.hair_colour(lab, skin, brows, f)
    for name, value in (("frown", appearance.frown_lines(patch, lab, skin, f)),
                        ("hair_over_brows", appearance.hair_over_brows(lab, skin, f)),
                        ("hair_over_eyes", appearance.hair_over_eyes(lab, skin, f)),
                        ("hair_over_ears", appearance.hair_over_ears(lab, skin, hair, bg_lab, f))):
        if value is not None:
            out[name] = value
    out.update(head_cover.measures(lab, skin, brows, f))
    return out


def _backdrop(rgb: np.ndarray, cx: float, eye_y: float, face_w: float) -> tuple[np.ndarray, float]:
    """Backdrop colour (median Lab) and its spread, from the area beside and above the head of the whole
    picture (`rgb`, `cx` in its pixels). At most ~40,000 pixels are sampled, and only those are converted."""
    h, w = rgb.shape[:2]
    a, b = max(0, int(cx - 0.9 * face_w)), min(w, int(cx + 0.9 * face_w))    # the head's columns, left out
    left, per_row = min(a, w), min(a, w) + max(0, w - max(a, b))
    rows = min(h, max(2, int(eye_y)))
    n = rows * per_row
    if n >= 50:                 # every step-th pixel of rows x kept columns in reading order, picked in place
        i = np.arange(0, n, max(1, n // 40000))
        r, c = np.divmod(i, per_row)
        sample = rgb.reshape(-1, 3)[r * w + np.where(c < left, c, c - left + max(a, b))] if rgb.flags.c_contiguous \
            else rgb[r, np.where(c < left, c, c - left + max(a, b))]      # one flat take: the same pixels
    else:                       # head fills the width: use the top rows
        sample = rgb[: max(2, h // 30)].reshape(-1, 3)
        sample = sample[:: max(1, len(sample) // 40000)]
    channels = np.ascontiguousarray(_lab(np.ascontiguousarray(sample)[None])[0].T)   # L, a, b as rows: np.var
    median = np.median(channels, axis=1)            # along a row takes 0.07 ms, down a strided column 1.4
    spread = float(np.sqrt(np.mean(np.var(channels, axis=1))))
    return median, spread


def _crown(lab: np.ndarray, bg: np.ndarray, threshold: float, cx: float, eye_y: float, face_w: float
           ) -> tuple[float, bool]:
    """First row above the eyes where a fair share of the head's columns differ from the backdrop."""
    h, w = lab.shape[:2]
    x0, x1 = max(0, int(cx - 0.45 * face_w)), min(w, int(cx + 0.45 * face_w))
    top = lab[: max(1, int(eye_y)), x0:x1]
    fg = lab_distance(top, bg) > threshold
    share = fg.mean(axis=1)
    hits = share >= 0.2
    run = 3
    if len(hits) > run:          # first y with hits[y], hits[y+1], hits[y+2] (y < len - run, as the loop had it)
        starts = np.nonzero(hits[:-run] & hits[1:1 - run] & hits[2:len(hits) - 1])[0]
        if starts.size:
            y = int(starts[0])
            return float(y), y == 0
    return float(max(0, int(eye_y) - 1)), False


def _sharpness(rgb: np.ndarray, hull: np.ndarray) -> float:
    """Variance of the Laplacian on the face, resampled to a fixed width so the number does not depend on
    how large the face is in the frame."""
    x, y, w, h = cv2.boundingRect(hull)
    face = rgb[max(0, y):y + h, max(0, x):x + w]
    if face.size == 0:
        return 0.0
    return float(cv2.Laplacian(_grey_at_width(cv2.cvtColor(face, cv2.COLOR_RGB2GRAY), 256), cv2.CV_64F).var())


def _grey_at_width(grey: np.ndarray, width: int) -> np.ndarray:
    """`grey` area-averaged to `width` pixels wide: the sharpness measures compare pictures at a fixed size."""
    scale = width / max(grey.shape[1], 1)
    return cv2.resize(grey, (width, max(1, round(grey.shape[0] * scale))), interpolation=cv2.INTER_AREA)


def picture_sharpness(rgb: np.ndarray) -> float | None:
    """High-band over mid-band energy of the whole picture at 256 px wide (Laplacian variance over the
    variance of what a 3-pixel Gaussian takes away): a blurred picture keeps its shapes (the mid band) and
    loses its edges (the high band). Judged when no face is found, so a blur too strong for the face finder is
    named: the labelled blurred photos read 0.27-0.48, every other labelled photo >= 0.74. A blur so wide that
    no shape is left at 256 px is judged at 64 px; None when no shape is left there either (a plain backdrop,
    where the high band is only noise, has nothing to judge)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    for width in (256, 64):
        small = _grey_at_width(grey, width).astype(np.float32)
        mid = float((small - cv2.GaussianBlur(small, (0, 0), 3)).var())
        if mid >= MIN_SHAPES:
            return float(cv2.Laplacian(small, cv2.CV_32F).var()) / mid
    return None


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
