"""Refusal reasons in the words a photographer and a student understand, in Chinese and English."""
from __future__ import annotations

from typing import Any

from pipeline.result import Reason


def no_face() -> Reason:
    return Reason("no_face", "未检测到人脸", "no face found")


def several_faces(n: int) -> Reason:
    return Reason("multiple_faces", f"画面中有{n}张人脸", f"{n} faces in the frame (exactly one allowed)",
                  measure="faces", value=float(n))


def busy_background(spread: float, band: float) -> Reason:
    return Reason("background_not_uniform", "背景不均匀或有杂物", f"background not uniform ({spread:.0f})",
                  measure="background_spread", value=spread, band={"warn": None, "refuse": band, "bad": "above"})


def wrong_background(dist: float, name: str, name_zh: str, warn: float, refuse: float, level: str = "refuse"
                     ) -> Reason:
    return Reason("background_colour", f"背景颜色不符（应为{name_zh}）", f"background is not {name} ({dist:.0f})",
                  level=level, measure="background_distance", value=dist,
                  band={"warn": warn, "refuse": refuse, "bad": "above"})


def crown_cut() -> Reason:
    return Reason("too_close", "离镜头太近，头顶出画", "too close: crown cut off at the top")


def too_close() -> Reason:
    return Reason("too_close", "离镜头太近", "too close: head too large for the frame")


def too_high() -> Reason:
    return Reason("too_high", "头部位置太高", "head too high in the frame")


def too_low() -> Reason:
    return Reason("too_low", "头部位置太低", "head too low in the frame")


def off_centre(side: str) -> Reason:
    zh = "左" if side == "left" else "右"
    return Reason("off_centre", f"人像偏{zh}，无法居中裁切", f"subject too near the {side} edge to centre the crop")


def too_small() -> Reason:
    return Reason("too_small", "头部在画面中太小", "head too small in the frame (would need upscaling)")


def proportions() -> Reason:
    return Reason("proportions", "头部比例无法同时满足规范", "head proportions cannot meet every band at once")


def station_reason(code: str, message: str = "", /, **fields: Any) -> Reason:
    """A reason of the registry's `STATION_CHECKS` (level and override flag from there), its zh/en text from
    the catalog message (`message`: one of the check's msgids, default its first) filled with `fields`.
    `measure`, `value` and `band` among `fields` go to the reason, not the text."""
    from config.i18n import in_language
    from pipeline.checks import STATION_CHECKS
    check = STATION_CHECKS[code]
    message = message or check.messages[0]
    if message not in check.messages:
        raise ValueError(f"{message!r} is not a message of check {code}")
    measure, value, band = fields.pop("measure", ""), fields.pop("value", None), fields.pop("band", None)
    return Reason(code, in_language("zh", message, **fields), in_language("en", message, **fields),
                  level=check.level, measure=measure, value=value, band=band, override=check.override,
                  message=message)


def raw_only() -> Reason:
    return station_reason("raw_only")


def damaged_image(problem: object) -> Reason:
    return station_reason("damaged_image", problem=str(problem))


def pipeline_error(problem: object) -> Reason:
    return station_reason("pipeline_error", problem=str(problem))


def unreadable(problem: object) -> Reason:
    return station_reason("unreadable", problem=str(problem))
