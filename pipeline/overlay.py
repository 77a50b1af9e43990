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


def draw_frame_guides(image: Image.Image, k: float, preset: FormatPreset, *,
                      crop_box: tuple[float, float, float, float] | None,
                      face_box: tuple[float, float, float, float] | None = None, ready: bool = False) -> None:
    """Onto `image` (the full frame scaled by `k`): the face box, the crop box and, inside it, where the
    format's bands fall (crown, eye line, face width, centre line), so the photographer sees on the WHOLE
    frame what the finished photo will be. Used for a take's frame and for every live-view frame."""
    f, g = preset.file, preset.geometry
    d = ImageDraw.Draw(image, "RGBA")
    if face_box is not None:
        x0, y0, x1, y1 = (v * k for v in face_box)
        d.rectangle((x0, y0, x1, y1), outline=(GOOD if ready else BAD) + (255,), width=3)
    if crop_box is None:
        return
    x0, y0, x1, y1 = (v * k for v in crop_box)
    sx, sy = (x1 - x0) / f.width, (y1 - y0) / f.height
    for band in (g.crown_y, g.eye_y):
        d.rectangle((x0, y0 + band.min * sy, x1, y0 + band.max * sy), outline=GUIDE + (230,), fill=GUIDE + (40,))
    cx = x0 + g.centre_x * sx
    for side in (-1, 1):
        for edge in (g.face_width.min, g.face_width.max):
            x = cx + side * edge / 2 * sx
            d.line((x, y0 + g.eye_y.min * sy, x, y0 + g.eye_y.max * sy), fill=GUIDE + (230,), width=2)
    d.line((cx, y0, cx, y1), fill=GUIDE + (180,), width=1)
    d.rectangle((x0, y0, x1, y1), outline=(GOOD if ready else GUIDE) + (255,), width=3)


def frame_view(data: bytes, preset: FormatPreset, crop_box: tuple[float, float, float, float] | None, *,
               max_side: int = 1200, ok: bool = False) -> bytes:
    """A take's whole frame, small, with its crop box and the bands drawn in it (the console's "full frame")."""
    decoded = decode_for_analysis(data, max_side=max_side)
    image = Image.fromarray(decoded.rgb)
    draw_frame_guides(image, image.width / decoded.full_size[0], preset, crop_box=crop_box, ready=ok)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue()
