"""Refusal reasons in the words a photographer and a student understand, in Chinese and English."""
from __future__ import annotations

from pipeline.result import Reason


def no_face() -> Reason:
    return Reason("no_face", "未检测到人脸", "no face found")


def several_faces(n: int) -> Reason:
    return Reason("multiple_faces", f"画面中有{n}张人脸", f"{n} faces in the frame (exactly one allowed)")


def tilted(deg: float) -> Reason:
    return Reason("head_tilted", f"头部倾斜 {abs(deg):.1f}°", f"head tilted {abs(deg):.1f}°")


def turned(ratio: float) -> Reason:
    return Reason("head_turned", "头部未正对镜头", f"head turned to the side ({ratio:.2f})")


def eyes_closed(value: float) -> Reason:
    return Reason("eyes_closed", "眼睛闭合", f"eyes closed ({value:.2f})")


def mouth_open(value: float) -> Reason:
    return Reason("mouth_open", "嘴巴张开", f"mouth open ({value:.2f})")


def blurred(value: float) -> Reason:
    return Reason("blurred", "面部模糊", f"face not sharp ({value:.0f})")


def overexposed(frac: float) -> Reason:
    return Reason("overexposed", "面部过曝", f"face overexposed ({frac:.0%} clipped)")


def underexposed(frac: float) -> Reason:
    return Reason("underexposed", "面部过暗", f"face too dark ({frac:.0%} dark)")


def busy_background(spread: float) -> Reason:
    return Reason("background_not_uniform", "背景不均匀或有杂物", f"background not uniform ({spread:.0f})")


def wrong_background(dist: float, name: str) -> Reason:
    return Reason("background_colour", f"背景颜色不符（应为{name}）", f"background is not {name} ({dist:.0f})")


def clothing(dist: float) -> Reason:
    if dist < 2.0:   # nothing but backdrop under the chin: a top of the backdrop's colour, or no shoulders
        return Reason("clothing_like_background", "服装与背景同色或肩部未入画",
                      f"clothing matches the background, or no shoulders in the frame ({dist:.0f})")
    return Reason("clothing_like_background", "服装颜色与背景相近",
                  f"clothing too close to the background colour ({dist:.0f})")


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
