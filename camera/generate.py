"""Generated frames for the plain `virtual` camera: distinct, numbered, portrait-shaped JPEGs.

Only for demos and benchmarks when no frames are given: each picture differs (number and colours) so a test
or an operator can see that capture N really returned picture N.
"""
from __future__ import annotations

import io
from collections.abc import Iterator


def generated_frame(number: int, size: tuple[int, int] = (1200, 1600)) -> bytes:
    """A light-blue-backdrop JPEG with a simple head-and-shoulders shape and `number` written on it."""
    from PIL import Image, ImageDraw

    width, height = size
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    tint = Image.new("RGB", size, (90 + number * 37 % 60, 160 + number * 11 % 40, 230))
    img = Image.blend(img, tint, 0.85)
    draw = ImageDraw.Draw(img)
    cx = width // 2
    draw.ellipse([cx - width * 0.42, height * 0.72, cx + width * 0.42, height * 1.3], fill=(30, 30, 40))
    draw.ellipse([cx - width * 0.18, height * 0.25, cx + width * 0.18, height * 0.62], fill=(225, 190, 160))
    draw.text((width * 0.05, height * 0.03), f"virtual frame {number:04d}", fill=(0, 0, 0),
              font_size=max(12, width // 20))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def generated_frames(start: int = 1) -> Iterator[bytes]:
    """Endless numbered frames."""
    number = start
    while True:
        yield generated_frame(number)
        number += 1
