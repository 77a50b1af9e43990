"""The operator's preview: what the photo will look like, with the format's bands drawn over it."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw

from config.formats import FormatPreset
from pipeline.decode import decode_for_analysis
from pipeline.result import Result

GOOD, BAD, GUIDE = (40, 200, 80), (230, 40, 40), (255, 210, 0)


def draw_preview(data: bytes, result: Result, preset: FormatPreset) -> bytes:
    f, g = preset.file, preset.geometry
    if result.photo is not None:
        image = Image.open(io.BytesIO(result.photo)).convert("RGB")
        d = ImageDraw.Draw(image, "RGBA")
        for band in (g.crown_y, g.eye_y):
            d.rectangle((0, band.min, f.width - 1, band.max), outline=GUIDE + (255,), fill=GUIDE + (28,))
        for side in (-1, 1):
            for edge in (g.face_width.min, g.face_width.max):
                x = g.centre_x + side * edge / 2
                d.line((x, g.eye_y.min, x, g.eye_y.max), fill=GUIDE + (200,), width=1)
        d.line((g.centre_x, 0, g.centre_x, f.height), fill=GUIDE + (160,), width=1)
        d.rectangle((0, 0, f.width - 1, f.height - 1), outline=GOOD, width=6)
    else:
        decoded = decode_for_analysis(data, max_side=max(f.width, f.height))
        frame = Image.fromarray(decoded.rgb)
        frame.thumbnail((f.width, f.height))
        image = Image.new("RGB", (f.width, f.height), (40, 40, 40))
        image.paste(frame, ((f.width - frame.width) // 2, (f.height - frame.height) // 2))
        d = ImageDraw.Draw(image)
        k = frame.width / decoded.full_size[0]
        ox, oy = (f.width - frame.width) // 2, (f.height - frame.height) // 2
        if result.face_box:
            x0, y0, x1, y1 = (v * k for v in result.face_box)
            d.rectangle((x0 + ox, y0 + oy, x1 + ox, y1 + oy), outline=BAD, width=3)
        if result.crop_box:
            x0, y0, x1, y1 = (v * k for v in result.crop_box)
            d.rectangle((x0 + ox, y0 + oy, x1 + ox, y1 + oy), outline=GUIDE, width=2)
        y = 10
        for reason in result.reasons:
            d.rectangle((6, y - 2, f.width - 6, y + 16), fill=(0, 0, 0))
            d.text((10, y), reason.en, fill=(255, 255, 255))
            y += 20
        d.rectangle((0, 0, f.width - 1, f.height - 1), outline=BAD, width=6)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue()
