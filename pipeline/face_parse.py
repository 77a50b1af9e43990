"""What the head wears, by a face-parsing model: a hat or a scarf, and glasses; and whether the ears show and
hair hangs over the face.

WHY a learned parser: colour and texture measures could not tell a hat from hair on real people (a black
cowboy hat, a striped bucket hat, a hijab, a dupatta: 2 of 5 held-out hats named). A face parser labels every
pixel of the head (skin, brows, eyes, eyeglasses, ears, earrings, nose, lips, neck, necklace, cloth, hair,
hat), so "hat" is a class of its own. On the team's 140 labelled real photos its hat share separates all 14
headwear photos (>= 0.051) from all others (<= 0.002), and its eyeglasses share 21 of 22 glasses photos
(>= 0.022) from every one-face photo without glasses (0.0); bench/eval_verdict.py prints the tables.

The model is BiSeNet (ResNet-18) trained on CelebAMask-HQ, int8-quantised for onnxruntime at 320x320 and cut
before its last upsampling (class scores on a 40 x 40 grid are all a share needs), reading the crop's uint8
pixels as they are (the colour normalisation is folded into its first convolution), its main head's widest
convolution replaced by a distilled rank-64 pair (4.2 ms -> 1.3 ms; 99.5% of grid cells as the original, no
verdict of the 140 labelled photos moved): ~24 ms on one core. It
sees the head as CelebAMask-HQ shows it (see `crop`). Cells outside the frame are not counted (the crop's edge is
filled by replication, which the model may call anything). Provenance, licence and how it is built:
pipeline/models/FACE_PARSE_NOTICE.md and tools/build_face_parser.py.
"""
from __future__ import annotations

import math
import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline import face_measures as fm
from pipeline.errors import PipelineError
from pipeline.runtime import PIPELINE_THREADS, Lane

MODEL = os.path.join(os.path.dirname(__file__), "models", "face_parse_320_int8.onnx")
SIZE = 320
STRIDE = 8                 # the model's output: class scores on a 40 x 40 grid of 8 x 8 crop pixels
GRID = SIZE // STRIDE
# the crop: the face mesh's box 1.6 times wide, centred a tenth of its width above the box's centre, levelled
# by the eye line: the face at the scale the parser was trained on (CelebAMask-HQ at 512: 200 px per box width)
# with the head above it. Tighter crops at 288 or 256 px (a fifth or a third cheaper) called a fringe, a
# drawn forehead or a tilted selfie's hair a hat; so did the same crop at 288 or 256 px, and the crop's top 256
# rows alone (a fifth cheaper: real hats still apart, but three drawn students' hair read as hats). Placed from
# the detection's box (before the mesh), it called one good face's hair a hat; the mesh's first pass is enough
# (the verdicts on the 140 labelled photos are the same as from the refined mesh), so it starts there.
CROP_WIDTHS = 1.6
CROP_UP = 0.1
# CelebAMask-HQ's classes, in the model's output order
CLASSES = ("background", "skin", "brow_l", "brow_r", "eye_l", "eye_r", "eyeglasses", "ear_l", "ear_r",
           "earring", "nose", "mouth", "lip_u", "lip_l", "neck", "necklace", "cloth", "hair", "hat")
HAT, EYEGLASSES = CLASSES.index("hat"), CLASSES.index("eyeglasses")
EARS = (CLASSES.index("ear_l"), CLASSES.index("ear_r"))
HAIR = CLASSES.index("hair")
JEWELLERY = (CLASSES.index("earring"), CLASSES.index("necklace"))
NOSE = CLASSES.index("nose")
# the parser has read the face when it sees its nose (~15-60 cells on every real photo but the blurred ones, which
# read 0-2); on drawn faces it may call everything around the features hair and see no nose, eyes or brows
NOSE_SEEN_CELLS = 5
OUTSIDE = 255              # a grid cell outside the frame
# a hat (eyeglasses) cell counts only when its class beats the next by this many logits; less sure cells are
# UNSURE. On the real sets that takes hair, a blonde fringe or a tilted selfie's hair out (others <= 0.002,
# hats still >= 0.051), and the drawn students' flat features, which the model half calls a hat, out as well
HAT_MARGIN = 0.75
GLASSES_MARGIN = 1.0        # likewise for eyeglasses: a drawn student's small eyes under slanted brows are no glasses
UNSURE = 254


@dataclass(frozen=True)
class Parse:
    """The class of every grid cell (OUTSIDE where the crop left the frame) and the frame-to-grid map."""
    labels: np.ndarray          # GRID x GRID uint8
    affine: np.ndarray          # 2 x 3, analysis pixels -> grid cells

    def to_grid(self, xy: np.ndarray) -> np.ndarray:
        return xy @ self.affine[:, :2].T + self.affine[:, 2]


def crop(rgb: np.ndarray, mesh: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's input for the face `mesh` (468 x 3, pixels of `rgb`): (1 x SIZE x SIZE x 3 uint8 RGB: the
    model normalises it itself, the 2x3 affine from `rgb` pixels to the output grid's cells, the grid's
    in-frame mask)."""
    xs, ys = mesh[:, 0], mesh[:, 1]
    width = float(xs.max() - xs.min())
    if width < 4:
        raise PipelineError("face too small to parse")
    roll = fm.roll_deg(mesh)
    t = math.radians(roll)
    up = np.array([math.sin(t), -math.cos(t)])
    centre = np.array([(xs.max() + xs.min()) / 2, (ys.max() + ys.min()) / 2]) + CROP_UP * width * up
    scale = SIZE / (CROP_WIDTHS * width)
    affine = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), roll, scale)
    affine[:, 2] += SIZE / 2 - centre
    flags = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    img = cv2.warpAffine(rgb, affine, (SIZE, SIZE), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    cells = affine / STRIDE                        # crop pixel p -> grid cell (p + 0.5) / STRIDE - 0.5
    cells[:, 2] += 0.5 / STRIDE - 0.5
    return img[None], cells, _in_frame(cells, rgb.shape[:2])


def _in_frame(cells: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Which grid cells' centres fall inside the frame (the crop's edge beyond it is replicated pixels)."""
    inverse = cv2.invertAffineTransform(cells)
    gy, gx = np.mgrid[0:GRID, 0:GRID].astype(np.float32)
    fx = inverse[0, 0] * gx + inverse[0, 1] * gy + inverse[0, 2]
    fy = inverse[1, 0] * gx + inverse[1, 1] * gy + inverse[1, 2]
    return (fx >= 0) & (fx <= shape[1] - 1) & (fy >= 0) & (fy <= shape[0] - 1)


class _Parser:
    """The onnxruntime session (one thread, like every model of the pipeline; `run` is thread-safe)."""

    def __init__(self) -> None:
        if not os.path.isfile(MODEL):
            raise PipelineError(f"face-parsing model missing: {MODEL}", hint="git checkout pipeline/models")
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise PipelineError("onnxruntime is not installed", hint="make install") from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = PIPELINE_THREADS
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(MODEL, options, providers=["CPUExecutionProvider"])


_PARSER: _Parser | None = None
_LOAD = threading.Lock()


def _parser() -> _Parser:
    global _PARSER
    if _PARSER is None:
        with _LOAD:
            if _PARSER is None:
                _PARSER = _Parser()
    return _PARSER


def load() -> None:
    """Load the parser now (`pipeline.warm_up`) instead of at the first verdict."""
    _parser()


def parse(rgb: np.ndarray, mesh: np.ndarray) -> Parse:
    """Label the head of the face `mesh` in `rgb` (see `crop`)."""
    x, affine, inside = crop(rgb, mesh)
    scores = _parser().session.run(None, {"x": x})[0][0]
    labels = scores.argmax(0).astype(np.uint8)
    top2 = np.partition(scores, -2, axis=0)[-2:]
    margin = top2[1] - top2[0]
    labels[(labels == HAT) & (margin < HAT_MARGIN)] = UNSURE
    labels[(labels == EYEGLASSES) & (margin < GLASSES_MARGIN)] = UNSURE
    labels[~inside] = OUTSIDE
    return Parse(labels, affine)


def _share(labels: np.ndarray, cls: int) -> float:
    seen = labels != OUTSIDE
    return float((labels[seen] == cls).sum()) / max(int(seen.sum()), 1)


def measures(p: Parse, mesh: np.ndarray) -> dict[str, float]:
    """hat_share (see `_hat_share`), eyeglasses_share (of the grid's in-frame cells), ear_cells (see
    `_ear_cells`), face_hair (see `_face_hair`) and jewellery_cells (earring and necklace cells: the crop shows
    the ears and the top of the neck, ~25 cells to the face's width)."""
    grid = p.to_grid(mesh[:, :2])                  # the mesh on the grid, once for every measure
    face = _face_outline(p, grid)
    return {"hat_share": _hat_share(p, grid, face), "eyeglasses_share": _share(p.labels, EYEGLASSES),
            "ear_cells": _ear_cells(p, grid), "face_hair": _face_hair(p, grid, face),
            "jewellery_cells": float(np.isin(p.labels, JEWELLERY).sum())}


def _face_outline(p: Parse, grid: np.ndarray) -> np.ndarray:
    """The face mesh's outline on the grid (1 inside), drawn once for the measures that look inside or outside it."""
    face = np.zeros(p.labels.shape, np.uint8)
    cv2.fillConvexPoly(face, cv2.convexHull(grid.astype(np.float32)).astype(np.int32), 1)
    return face


def _face_hair(p: Parse, grid: np.ndarray, face: np.ndarray) -> float:
    """Share of the face's outline from the eye line down to the nose tip that the parser calls hair: locks
    hanging over the eyes, temples or cheeks. Above the eyes is left out: a fringe over the brows is the colour
    measure's (hair_over_brows), a hairline inside the mesh's forehead is no flaw, and on drawn faces the
    parser calls the brows and forehead hair. Below the nose is left out too (a beard). 0 when the parser has
    not read the face (no nose: a drawn face, a blurred one)."""
    if int((p.labels == NOSE).sum()) < NOSE_SEEN_CELLS:
        return 0.0
    eye_y = float(np.mean([grid[list(fm.EYE_R), 1].mean(), grid[list(fm.EYE_L), 1].mean()]))
    nose_y = float(grid[fm.NOSE_TIP, 1])
    rows = np.arange(p.labels.shape[0])[:, None]
    zone = (face == 1) & (rows >= eye_y) & (rows <= nose_y) & (p.labels != OUTSIDE)
    return float((zone & (p.labels == HAIR)).sum()) / max(int(zone.sum()), 1)


def _ear_cells(p: Parse, grid: np.ndarray) -> float:
    """Grid cells the parser calls ear on the side of the nose with fewer of them: how much of the less visible
    ear shows (the crop puts the face ~25 cells wide, so a whole ear is ~10-40 cells; 0 = that ear unseen,
    under hair or turned away). WHY: the hair-colour box beside the cheek (`hair_over_ears`) also fills with
    dark hair hanging behind a visible ear, a beard or dark skin beside an afro; the parser sees the ear."""
    nose_x = float(grid[fm.NOSE_TIP, 0])
    ear = np.isin(p.labels, EARS)
    left = np.arange(p.labels.shape[1])[None, :] < nose_x
    return float(min(int((ear & left).sum()), int((ear & ~left).sum())))


def _hat_share(p: Parse, grid: np.ndarray, face: np.ndarray) -> float:
    """Sure hat cells above the brows and outside the face's outline (the crop is level), as a share of the
    grid's in-frame cells: a hat, a cap's crown or a scarf covers the head there. "Hat" called on the forehead,
    between the eyes or on the lips is the model misreading a plain stretch of skin (it does on drawn faces),
    not something worn; a cap's band over the forehead still leaves its crown outside the outline."""
    brow_y = float(grid[list(fm.BROW_R + fm.BROW_L), 1].mean())
    above = np.arange(p.labels.shape[0])[:, None] < brow_y
    seen = p.labels != OUTSIDE
    return float(((p.labels == HAT) & above & (face == 0)).sum()) / max(int(seen.sum()), 1)


_LANE = Lane("face-parse")


def parse_later(rgb: np.ndarray, mesh: np.ndarray) -> Future[Parse]:
    """`parse` on the parser's own thread, started as soon as the mesh's first pass is there: the ~24 ms model
    runs beside the mesh's second pass, the iris model and the measures (on the second core when it is free)
    instead of after them. Its own thread, not the face models' background one, where it would queue behind
    the full-range tiles."""
    return _LANE.submit(parse, rgb, mesh)
