"""From measures to reasons: every threshold comes from the preset."""
from __future__ import annotations

from config.formats import FormatPreset
from pipeline import reasons as why
from pipeline.analyse import Analysis
from pipeline.result import Reason


def quality_reasons(a: Analysis, preset: FormatPreset) -> tuple[list[Reason], list[Reason]]:
    """(refusals, warnings) for a frame with exactly one face."""
    c, b, m = preset.checks, preset.background, a.measures
    refuse: list[Reason] = []
    warn: list[Reason] = []
    if abs(m["roll_deg"]) > c.max_roll_deg:
        refuse.append(why.tilted(m["roll_deg"]))
    if abs(m["yaw_ratio"]) > c.max_yaw_ratio:
        refuse.append(why.turned(m["yaw_ratio"]))
    if m["eye_open"] < c.min_eye_open or m["iris_visible"] < c.min_iris_visible:
        refuse.append(why.eyes_closed(min(m["eye_open"], m["iris_visible"])))
    if m["mouth_open"] > c.max_mouth_open:
        refuse.append(why.mouth_open(m["mouth_open"]))
    if m["sharpness"] < c.min_sharpness:
        refuse.append(why.blurred(m["sharpness"]))
    if m["clipped"] > c.max_clipped:
        refuse.append(why.overexposed(m["clipped"]))
    if m["dark"] > c.max_dark:
        refuse.append(why.underexposed(m["dark"]))
    if m["background_spread"] > b.max_spread:
        refuse.append(why.busy_background(m["background_spread"]))
    elif m["background_distance"] > b.max_distance:
        refuse.append(why.wrong_background(m["background_distance"], b.name))
    elif m["background_distance"] > b.warn_distance:
        # a backdrop of a slightly different blue (cloth, lighting) is worth a look, not a re-shoot
        warn.append(why.wrong_background(m["background_distance"], b.name))
    if "clothing_distance" in m and m["clothing_distance"] < c.min_clothing_distance:
        refuse.append(why.clothing(m["clothing_distance"]))
    return refuse, warn
