"""A refused take, shown instead of hidden: the frame cropped as far as it can be, with the format's bands,
where the face fell, and by how many pixels each measure missed its band ("头顶高出 12 px").

The crop here is the NEAREST one, not a valid one: the face at its aimed width (or as small as the frame
allows), the eye line at its aim, the face centred, then the box pushed back inside the frame. Measured in
the finished photo's pixels (the format's 480x640), so the numbers read like the verdict's bands and tell
the photographer which way to move the student or the camera.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw

from config.formats import FormatPreset
from config.i18n import bilingual

GUIDE, GOOD, BAD = (255, 210, 0), (31, 157, 69), (210, 48, 48)


@dataclass(frozen=True)
class Miss:
    measure: str          # crown_y | eye_y | face_width | centre_x
    px: int               # how far outside the band, in the finished photo's pixels
    text: str             # Chinese first, English beside it

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "px": self.px, "text": self.text}


def nearest_box(eye_mid: tuple[float, float], face_width: float, frame: tuple[int, int],
                preset: FormatPreset) -> tuple[float, float, float, float, float]:
    """(x0, y0, x1, y1, scale): the crop nearest to the aims that stays inside the frame."""
    f, g = preset.file, preset.geometry
    W, H = frame
    s = max(g.face_width.aim / max(face_width, 1.0), f.width / W, f.height / H)   # finished px per frame px
    cw, ch = f.width / s, f.height / s
    x0 = min(max(eye_mid[0] - g.centre_x / s, 0.0), W - cw)
    y0 = min(max(eye_mid[1] - g.eye_y.aim / s, 0.0), H - ch)
    return x0, y0, x0 + cw, y0 + ch, s


def misses(crown_y: float, eye_y: float, face_width: float, centre_x: float, preset: FormatPreset) -> list[Miss]:
    """Each measure (in finished-photo px) outside its band, with the amount."""
    g = preset.geometry
    out: list[Miss] = []

    def band(measure: str, value: float, lo: float, hi: float, above: str, below: str) -> None:
        if value < lo:
            out.append(Miss(measure, round(lo - value), bilingual(above, px=round(lo - value))))
        elif value > hi:
            out.append(Miss(measure, round(value - hi), bilingual(below, px=round(value - hi))))
    band("crown_y", crown_y, g.crown_y.min, g.crown_y.max, "crown {px} px above its band", "crown {px} px below its band")
    band("eye_y", eye_y, g.eye_y.min, g.eye_y.max, "eyes {px} px above their band", "eyes {px} px below their band")
    band("face_width", face_width, g.face_width.min, g.face_width.max, "face {px} px too narrow", "face {px} px too wide")
    band("centre_x", centre_x, g.centre_x - g.centre_tolerance, g.centre_x + g.centre_tolerance,
         "face {px} px left of centre", "face {px} px right of centre")
    return out


def nearest_view(data: bytes, preset: FormatPreset) -> tuple[bytes, list[Miss]] | None:
    """The refused frame as the nearest crop (JPEG at the format's size) and its misses; None when the frame
    has not exactly one face (the verdict's reasons say so, there is nothing to place)."""
    from pipeline.analyse import analyse
    from pipeline.decode import decode_for_analysis
    decoded = decode_for_analysis(data, max_side=1600)
    a = analyse(decoded, preset, geometry_only=True)
    if a.faces != 1:
        return None
    f, g = preset.file, preset.geometry
    eye_x, eye_y = a.eye_mid
    x0, y0, x1, y1, s = nearest_box((eye_x, eye_y), a.face_width, decoded.full_size, preset)
    k = decoded.rgb.shape[1] / decoded.full_size[0]          # full-frame px -> decoded px
    image = Image.fromarray(decoded.rgb).crop((round(x0 * k), round(y0 * k), round(x1 * k), round(y1 * k)))
    image = image.resize((f.width, f.height))
    crown_o, eye_o, fw_o, cx_o = (a.crown_y - y0) * s, (eye_y - y0) * s, a.face_width * s, (eye_x - x0) * s
    found = misses(crown_o, eye_o, fw_o, cx_o, preset)
    missed = {m.measure for m in found}
    d = ImageDraw.Draw(image, "RGBA")
    for band in (g.crown_y, g.eye_y):
        d.rectangle((0, band.min, f.width, band.max), outline=GUIDE + (230,), fill=GUIDE + (40,))
    for side in (-1, 1):
        for edge in (g.face_width.min, g.face_width.max):
            x = g.centre_x + side * edge / 2
            d.line((x, g.eye_y.min, x, g.eye_y.max), fill=GUIDE + (230,), width=2)
    d.line((g.centre_x, 0, g.centre_x, f.height), fill=GUIDE + (180,), width=1)
    colour = lambda name: (BAD if name in missed else GOOD) + (255,)   # noqa: E731
    d.line((0, crown_o, f.width, crown_o), fill=colour("crown_y"), width=3)
    d.line((0, eye_o, f.width, eye_o), fill=colour("eye_y"), width=3)
    for x in (cx_o - fw_o / 2, cx_o + fw_o / 2):
        d.line((x, eye_o - 40, x, eye_o + 40), fill=colour("face_width"), width=3)
    d.ellipse((cx_o - 6, eye_o - 6, cx_o + 6, eye_o + 6), outline=colour("centre_x"), width=3)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=88)
    return buf.getvalue(), found
