"""Where to crop: the box in upright frame pixels that puts crown, eye line, face width and centre in their
bands, aiming at the band centres; or the reason no box can.

The output scale s (output px per frame px) trades two aims against each other: the face width (aim 240)
and the crown-to-eye distance (aim 250-80 = 170). We take the least-squares s, then search the scales the
face-width band allows for the box closest to the aims that the frame can actually contain. Never rotate,
never mirror: a crop and a resize only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataclasses import replace

from config.formats import Band, FormatPreset
from pipeline import reasons as why
from pipeline.analyse import Analysis
from pipeline.result import Reason


@dataclass(frozen=True)
class Plan:
    box: tuple[int, int, int, int] | None        # left, top, right, bottom (upright frame pixels)
    reason: Reason | None
    expected: dict[str, float]                   # crown_y, eye_y, face_width, centre_x on the output


def _inside(band: Band, margin: float) -> Band:
    lo, hi = band.min + margin, band.max - margin
    return Band(lo, hi, min(max(band.aim, lo), hi))


def plan_crop(a: Analysis, frame: tuple[int, int], preset: FormatPreset) -> Plan:
    """The box, planned `geometry.margin_px` inside every band so that a few px of measuring error on the
    finished photo cannot put it on or over an edge; no box (and the reason) when the frame cannot give that."""
    f, m = preset.file, preset.geometry.margin_px
    g = replace(preset.geometry, crown_y=_inside(preset.geometry.crown_y, m), eye_y=_inside(preset.geometry.eye_y, m),
                face_width=_inside(preset.geometry.face_width, m))
    W, H = frame
    out_w, out_h = f.width, f.height
    eye_x, eye_y = a.eye_mid
    if a.crown_at_edge:
        return Plan(None, why.crown_cut(), {})
    d = max(eye_y - a.crown_y, 1.0)
    fw = max(a.face_width, 1.0)
    gap_aim = g.eye_y.aim - g.crown_y.aim
    best: tuple[float, float, float, float] | None = None
    blocked: set[str] = set()
    s_lo, s_hi = g.face_width.min / fw, g.face_width.max / fw
    s_ls = (gap_aim * d + g.face_width.aim * fw) / (d * d + fw * fw)
    for s in sorted(np.linspace(s_lo, s_hi, 121), key=lambda v: abs(v - s_ls)):
        crop_w, crop_h = out_w / s, out_h / s
        if crop_w > W or crop_h > H:
            blocked.add("small_frame")
            continue
        # top: as close to the aims as the bands and the frame allow
        top_aim = ((eye_y * s - g.eye_y.aim) + (a.crown_y * s - g.crown_y.aim)) / (2 * s)
        lo = max(eye_y - g.eye_y.max / s, a.crown_y - g.crown_y.max / s)
        hi = min(eye_y - g.eye_y.min / s, a.crown_y - g.crown_y.min / s)
        if lo > hi:
            blocked.add("proportions")
            continue
        top = min(max(top_aim, lo), hi)
        if top < 0:
            if hi < 0:
                blocked.add("top")
                continue
            top = 0.0
        if top + crop_h > H:
            if lo + crop_h > H:
                blocked.add("bottom")
                continue
            top = H - crop_h
        left = eye_x - g.centre_x / s
        if left < 0 or left + crop_w > W:
            tol = g.centre_tolerance / s
            shifted = min(max(left, 0.0), W - crop_w)
            if abs(shifted - left) > tol:
                blocked.add("left" if left < 0 else "right")
                continue
            left = shifted
        cost = ((eye_y - top) * s - g.eye_y.aim) ** 2 + ((a.crown_y - top) * s - g.crown_y.aim) ** 2 \
            + (fw * s - g.face_width.aim) ** 2
        if best is None or cost < best[0]:
            best = (cost, s, left, top)
    if best is None:
        return Plan(None, _reason(blocked, a, frame), {})
    _, s, left, top = best
    box = (round(left), round(top), round(left + out_w / s), round(top + out_h / s))
    expected = {"crown_y": (a.crown_y - top) * s, "eye_y": (eye_y - top) * s, "face_width": fw * s,
                "centre_x": (eye_x - left) * s}
    return Plan(box, None, expected)


def _reason(blocked: set[str], a: Analysis, frame: tuple[int, int]) -> Reason:
    """The most useful thing to tell the photographer, in order of what to fix first."""
    if "left" in blocked or "right" in blocked:
        return why.off_centre("left" if "left" in blocked else "right")
    if "top" in blocked:
        return why.too_high()
    if "bottom" in blocked:
        # a head that fills the frame is "too close"; a small head low in the frame is "too low"
        return why.too_close() if a.face_width > 0.3 * frame[1] else why.too_low()
    if "small_frame" in blocked:
        return why.too_small() if a.face_width < 0.1 * frame[1] else why.too_close()
    return why.proportions()
