"""Generated portraits with exactly known geometry, for the demo, the virtual camera and the tests.

Drawn with Pillow: skin ellipse, hair, ears, eyes (white, iris, pupil, lids), brows, nose, lips, neck and a
collared top on a plain backdrop, lightly blurred like a lens would. BlazeFace finds these as faces, so the
whole pipeline runs on them; no real person's photo ever ships with the program. A `flaw` makes the frame one
the station must refuse (eyes closed, tilted head, too close, blue shirt, busy background, off-centre, two
faces), which is what the demo's bad takes and the refusal tests are made of.
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

FLAWS = ("eyes_closed", "tilted", "too_close", "blue_shirt", "busy_background", "off_centre", "two_faces",
         "small_face_in_corner")
BACKDROP = (104, 192, 250)
SKINS = ((236, 200, 170), (224, 184, 150), (205, 160, 125), (180, 135, 100), (240, 210, 185))
HAIRS = ((25, 20, 18), (45, 32, 25), (70, 50, 35), (20, 20, 25))
TOPS = ((30, 30, 35), (245, 245, 240), (120, 30, 40), (60, 60, 60), (90, 60, 45), (200, 200, 195))
BLUE_TOP = (95, 180, 240)


@dataclass(frozen=True)
class SyntheticPortrait:
    """A generated frame and where things are in it (frame pixels, before any flaw rotation)."""
    jpeg: bytes
    width: int
    height: int
    crown_y: float
    eye_y: float
    eye_left: tuple[float, float]     # the eye on the image's left
    eye_right: tuple[float, float]
    face_width: float
    chin_y: float
    centre_x: float
    flaw: str | None
    seed: int


def portrait(seed: int, *, width: int = 2400, height: int = 1600, flaw: str | None = None,
             quality: int = 92, features: dict[str, float] | None = None) -> SyntheticPortrait:
    """One frame; the same seed gives the same person (so a re-shoot looks like the same student).

    `features` (see `identity_features`) gives the face its own proportions, so that a face recognition
    network tells generated people apart; without it every generated face has the same proportions and
    only colours differ (the same picture as before)."""
    if flaw is not None and flaw not in FLAWS:
        raise ValueError(f"unknown flaw {flaw!r} (known: {', '.join(FLAWS)})")
    rng = random.Random(seed)
    look = {
        "skin": rng.choice(SKINS), "hair": rng.choice(HAIRS),
        "top": BLUE_TOP if flaw == "blue_shirt" else rng.choice(TOPS),
        "hair_volume": rng.uniform(0.05, 0.095), "long_hair": rng.random() < 0.4,
        "iris": rng.choice(((60, 40, 30), (40, 30, 25), (80, 55, 35))),
        "features": features,
    }
    base = Image.new("RGB", (width, height), BACKDROP)
    if flaw == "busy_background":
        _busy(base, rng)
    fw = height * (0.45 if flaw == "too_close" else rng.uniform(0.21, 0.25))
    cx = width * (0.1 if flaw == "off_centre" else 0.5) + rng.uniform(-0.02, 0.02) * width
    eye_y = height * (0.27 if flaw == "too_close" else rng.uniform(0.40, 0.44))
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    geo = _draw_person(ImageDraw.Draw(layer), cx, eye_y, fw, look, closed=flaw == "eyes_closed")
    layer = _hair_strands(layer, look["hair"], cx, eye_y, fw, seed)
    if flaw == "tilted":
        angle = rng.choice((-1, 1)) * rng.uniform(10.0, 13.0)   # beyond ISO's 8 degrees
        layer = layer.rotate(angle, resample=Image.BICUBIC, center=(cx, geo["chin_y"] + 0.6 * fw))
    if flaw == "two_faces":
        other = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        look2 = dict(look, skin=SKINS[(SKINS.index(look["skin"]) + 2) % len(SKINS)])
        _draw_person(ImageDraw.Draw(other), cx + 1.5 * fw, eye_y + 0.1 * fw, fw * 0.9, look2, closed=False)
        base.paste(other, (0, 0), other)
    if flaw == "small_face_in_corner":      # someone far behind, in a corner of the frame
        other = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        look2 = dict(look, skin=SKINS[(SKINS.index(look["skin"]) + 1) % len(SKINS)], long_hair=False)
        small = fw * 0.3
        _draw_person(ImageDraw.Draw(other), width * 0.1, height * 0.22, small, look2, closed=False)
        base.paste(other, (0, 0), other)
    base.paste(layer, (0, 0), layer)
    image = base.filter(ImageFilter.GaussianBlur(radius=max(0.8, fw / 350)))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return SyntheticPortrait(buf.getvalue(), width, height, geo["crown_y"], eye_y, geo["eye_left"],
                             geo["eye_right"], fw, geo["chin_y"], cx, flaw, seed)


def _long_hair(d: ImageDraw.ImageDraw, cx: float, fw: float, hair_w: float, top: float, bottom: float,
               hair: tuple[int, int, int]) -> None:
    """Long hair as two falls beside the face with ragged ends (one block round the face reads as a hood)."""
    r = random.Random(int(cx * 3 + top * 11))
    for side in (-1, 1):
        outer, inner = cx + side * hair_w, cx + side * 0.3 * fw
        x0, x1 = min(outer, inner), max(outer, inner)
        d.rectangle((x0, top, x1, bottom), fill=hair)
        for i in range(6):
            x = x0 + (x1 - x0) * (i + r.uniform(0.2, 0.8)) / 6
            half = (x1 - x0) / 10
            d.polygon([(x - half, bottom - 1), (x + half, bottom - 1), (x, bottom + r.uniform(0.02, 0.06) * fw)],
                      fill=hair)


def _fringe_tips(d: ImageDraw.ImageDraw, cx: float, fw: float, edge_y: float, fh: float,
                 hair: tuple[int, int, int]) -> None:
    """Locks hanging a little below the fringe's straight edge, so the hairline is ragged like hair and not a
    cap's band (a face parser reads a straight dark band round the head as a hat)."""
    r = random.Random(int(cx * 7 + edge_y * 13))
    n = 16
    for i in range(n):
        x = cx - 0.46 * fw + 0.92 * fw * (i + r.uniform(0.2, 0.8)) / n
        length = r.uniform(0.015, 0.06) * fh
        half = r.uniform(0.015, 0.03) * fw
        lean = r.uniform(-0.5, 0.5) * half
        d.polygon([(x - half, edge_y - 1), (x + half, edge_y - 1), (x + lean, edge_y + length)], fill=hair)


def _hair_strands(layer: Image.Image, hair: tuple[int, int, int], cx: float, eye_y: float, fw: float,
                  seed: int) -> Image.Image:
    """Strands and sheen on the flat hair fill: a flat dark dome reads as a cap to a face parser (and to a
    person), so the generated students would all be refused for headwear. Lighter and darker streaks run down
    the hair (1/90 of the face's width apart) with a soft highlight, laid out in the face's own units so the
    same person shows the same hair in a frame and in an enrolment photo of another size; only the hair's own
    pixels change, so the crown, the fringe line and every other drawn part stay where they were."""
    px = np.asarray(layer).copy()
    mask = (px[..., 3] > 0) & np.all(px[..., :3] == hair, axis=-1)
    if not mask.any():
        return layer
    cols = np.random.default_rng(seed + 7).random(2 * 90 + 2)        # one value per strand across 2 face widths
    ys, xs = np.nonzero(mask)
    u = np.clip((xs - cx) / fw + 1.0, 0.0, 2.0) * 90                  # strand coordinate across the head
    streak = np.interp(u, np.arange(len(cols)), cols)                  # 0..1
    wave = 0.5 + 0.5 * np.sin((ys - eye_y) / (fw * 0.11) + streak * 6.0)     # strands bend a little
    light = (streak * 0.7 + wave * 0.3) * 70.0 - 20.0                  # -20 .. +50 grey levels
    shaded = px[ys, xs, :3].astype(np.float32) + light[:, None] * np.array([1.0, 0.9, 0.8], np.float32)
    px[ys, xs, :3] = np.clip(shaded, 0, 255).astype(np.uint8)
    return Image.fromarray(px, "RGBA")


def _ellipse(d: ImageDraw.ImageDraw, cx: float, cy: float, rx: float, ry: float, fill) -> None:
    d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=fill)


def _shade(rgb: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, int(c * k))) for c in rgb)  # type: ignore[return-value]


def identity_features(identity: int) -> dict[str, float]:
    """Face proportions of one generated identity (eye spacing and size, brows, nose, mouth, jaw, ears),
    drawn from their own random stream so the frame's geometry (crown, eye line, face width) is unchanged."""
    r = random.Random(identity * 7919 + 13)
    u = r.uniform
    return {"es": u(0.17, 0.26), "ew": u(0.07, 0.13), "eh": u(0.03, 0.06), "iris": u(0.028, 0.045),
            "brow_up": u(0.06, 0.24), "brow_tilt": u(-0.06, 0.06), "brow_w": u(0.012, 0.05),
            "nose": u(0.18, 0.32), "nose_w": u(0.035, 0.1), "mouth_gap": u(0.07, 0.16), "mouth_w": u(0.1, 0.22),
            "lip": u(0.015, 0.05), "jaw": u(0.4, 1.0), "ear": u(0.7, 1.3), "fringe": u(0.2, 0.45)}


def _body(d: ImageDraw.ImageDraw, cx: float, eye_y: float, fw: float,
          look: dict) -> tuple[float, float, float, float, float]:
    """The head's vertical geometry (face height, face top, chin, crown, shoulders), with the shoulders, the top
    and the neck drawn. Eyes near the middle of the head (as in people), so crown, eye line and face width can
    all meet the aims."""
    fh = fw * 1.34
    face_top = eye_y - 0.40 * fh
    chin_y = eye_y + 0.53 * fh
    crown_y = face_top - look["hair_volume"] * fh
    shoulder_y = chin_y + 0.32 * fw
    d.rounded_rectangle((cx - 1.35 * fw, shoulder_y, cx + 1.35 * fw, shoulder_y + 3 * fw), radius=0.5 * fw,
                        fill=look["top"])
    d.rectangle((cx - 0.23 * fw, chin_y - 0.2 * fw, cx + 0.23 * fw, shoulder_y + 0.1 * fw),
                fill=_shade(look["skin"], 0.86))
    return fh, face_top, chin_y, crown_y, shoulder_y


def _draw_person(d: ImageDraw.ImageDraw, cx: float, eye_y: float, fw: float, look: dict, *, closed: bool) -> dict:
    """Draw one person; return the geometry that was drawn."""
    if look.get("features"):
        return _draw_featured(d, cx, eye_y, fw, look, closed=closed)
    skin, hair, top = look["skin"], look["hair"], look["top"]
    fh, face_top, chin_y, crown_y, shoulder_y = _body(d, cx, eye_y, fw, look)
    # then the collar over the neck
    collar = _shade(top, 0.8) if sum(top) > 300 else _shade(top, 1.6)
    d.polygon([(cx - 0.3 * fw, shoulder_y - 0.02 * fw), (cx, shoulder_y + 0.42 * fw), (cx - 0.05 * fw, shoulder_y + 0.5 * fw),
               (cx - 0.42 * fw, shoulder_y + 0.12 * fw)], fill=collar)
    d.polygon([(cx + 0.3 * fw, shoulder_y - 0.02 * fw), (cx, shoulder_y + 0.42 * fw), (cx + 0.05 * fw, shoulder_y + 0.5 * fw),
               (cx + 0.42 * fw, shoulder_y + 0.12 * fw)], fill=collar)
    # hair behind the head
    hair_w = 0.58 * fw
    _ellipse(d, cx, face_top + 0.32 * fh - (face_top - crown_y) / 2, hair_w, 0.34 * fh + (face_top - crown_y) / 2, hair)
    if look["long_hair"]:
        _long_hair(d, cx, fw, hair_w, eye_y - 0.1 * fh, chin_y + 0.1 * fh, hair)
    # ears
    for side in (-1, 1):
        _ellipse(d, cx + side * 0.5 * fw, eye_y + 0.06 * fh, 0.07 * fw, 0.13 * fh, _shade(skin, 0.93))
    # face
    _ellipse(d, cx, (face_top + chin_y) / 2, fw / 2, fh / 2, skin)
    # fringe over the forehead
    d.chord((cx - 0.52 * fw, crown_y, cx + 0.52 * fw, face_top + 0.36 * fh), 180, 360, fill=hair)
    _fringe_tips(d, cx, fw, (crown_y + face_top + 0.36 * fh) / 2, fh, hair)
    eyes = []
    for side in (-1, 1):
        ex = cx + side * 0.215 * fw
        eyes.append((ex, eye_y))
        # brow
        d.arc((ex - 0.13 * fw, eye_y - 0.16 * fw, ex + 0.13 * fw, eye_y + 0.02 * fw), 200, 340,
              fill=_shade(hair, 1.2), width=max(2, int(0.07 * fw)))
        if closed:
            d.arc((ex - 0.1 * fw, eye_y - 0.05 * fw, ex + 0.1 * fw, eye_y + 0.02 * fw), 20, 160,
                  fill=(50, 35, 30), width=max(2, int(0.008 * fw)))
            continue
        _ellipse(d, ex, eye_y, 0.1 * fw, 0.045 * fw, (245, 245, 240))
        _ellipse(d, ex, eye_y, 0.042 * fw, 0.042 * fw, look["iris"])
        _ellipse(d, ex, eye_y, 0.018 * fw, 0.018 * fw, (10, 10, 10))
        _ellipse(d, ex - 0.012 * fw, eye_y - 0.014 * fw, 0.007 * fw, 0.007 * fw, (250, 250, 250))
        d.arc((ex - 0.105 * fw, eye_y - 0.05 * fw, ex + 0.105 * fw, eye_y + 0.05 * fw), 190, 350,
              fill=(40, 30, 25), width=max(2, int(0.012 * fw)))
    # nose
    nose_y = eye_y + 0.27 * fh
    d.line((cx - 0.02 * fw, eye_y + 0.06 * fh, cx - 0.04 * fw, nose_y), fill=_shade(skin, 0.8), width=max(2, int(0.012 * fw)))
    for side in (-1, 1):
        _ellipse(d, cx + side * 0.05 * fw, nose_y + 0.01 * fh, 0.025 * fw, 0.014 * fw, _shade(skin, 0.6))
    # lips (closed)
    mouth_y = eye_y + 0.39 * fh
    lip = (175, 90, 90)
    d.chord((cx - 0.17 * fw, mouth_y - 0.05 * fw, cx + 0.17 * fw, mouth_y + 0.03 * fw), 180, 360, fill=lip)
    d.chord((cx - 0.16 * fw, mouth_y - 0.05 * fw, cx + 0.16 * fw, mouth_y + 0.07 * fw), 0, 180, fill=_shade(lip, 1.08))
    d.line((cx - 0.17 * fw, mouth_y - 0.01 * fw, cx + 0.17 * fw, mouth_y - 0.01 * fw), fill=(110, 50, 50),
           width=max(1, int(0.008 * fw)))
    left, right = sorted(eyes)
    # the hair ellipse rises 0.02 fh above the fringe's top: that is the drawn crown
    return {"crown_y": crown_y - 0.02 * fh, "chin_y": chin_y, "eye_left": left, "eye_right": right}


def _draw_featured(d: ImageDraw.ImageDraw, cx: float, eye_y: float, fw: float, look: dict, *, closed: bool) -> dict:
    """`_draw_person` with the identity's own proportions (same crown, eye line, face width and chin)."""
    p = look["features"]
    skin, hair, top = look["skin"], look["hair"], look["top"]
    fh, face_top, chin_y, crown_y, shoulder_y = _body(d, cx, eye_y, fw, look)
    hair_w = 0.58 * fw
    _ellipse(d, cx, face_top + 0.32 * fh - (face_top - crown_y) / 2, hair_w, 0.34 * fh + (face_top - crown_y) / 2, hair)
    if look["long_hair"]:
        _long_hair(d, cx, fw, hair_w, eye_y - 0.1 * fh, chin_y + 0.1 * fh, hair)
    for side in (-1, 1):
        _ellipse(d, cx + side * 0.5 * fw, eye_y + 0.06 * fh, 0.07 * fw * p["ear"], 0.13 * fh * p["ear"],
                 _shade(skin, 0.93))
    _ellipse(d, cx, (face_top + chin_y) / 2, fw / 2, fh / 2, skin)
    jaw = p["jaw"]
    d.polygon([(cx - fw / 2, eye_y), (cx + fw / 2, eye_y), (cx + jaw * fw / 2, chin_y - 0.12 * fh), (cx, chin_y),
               (cx - jaw * fw / 2, chin_y - 0.12 * fh)], fill=skin)
    d.chord((cx - 0.52 * fw, crown_y, cx + 0.52 * fw, face_top + p["fringe"] * fh), 180, 360, fill=hair)
    _fringe_tips(d, cx, fw, (crown_y + face_top + p["fringe"] * fh) / 2, fh, hair)
    eyes = []
    es, ew, eh = p["es"], p["ew"], p["eh"]
    for side in (-1, 1):
        ex = cx + side * es * fw
        eyes.append((ex, eye_y))
        by = eye_y - p["brow_up"] * fw
        tilt = side * p["brow_tilt"] * fw
        d.line((ex - 0.13 * fw * side, by + tilt, ex + 0.13 * fw * side, by - tilt), fill=_shade(hair, 1.2),
               width=max(2, int(p["brow_w"] * fw)))
        if closed:
            d.arc((ex - ew * fw, eye_y - 0.05 * fw, ex + ew * fw, eye_y + 0.02 * fw), 20, 160, fill=(50, 35, 30),
                  width=max(2, int(0.008 * fw)))
            continue
        _ellipse(d, ex, eye_y, ew * fw, eh * fw, (245, 245, 240))
        _ellipse(d, ex, eye_y, p["iris"] * fw, p["iris"] * fw, look["iris"])
        _ellipse(d, ex, eye_y, 0.018 * fw, 0.018 * fw, (10, 10, 10))
        d.arc((ex - ew * fw, eye_y - eh * fw * 1.1, ex + ew * fw, eye_y + eh * fw * 1.1), 190, 350, fill=(40, 30, 25),
              width=max(2, int(0.012 * fw)))
    nose_y = eye_y + p["nose"] * fh
    nw = p["nose_w"]
    d.polygon([(cx, eye_y + 0.06 * fh), (cx - nw * fw, nose_y), (cx + nw * fw, nose_y)], fill=_shade(skin, 0.9))
    for side in (-1, 1):
        _ellipse(d, cx + side * nw * 0.8 * fw, nose_y + 0.01 * fh, 0.025 * fw, 0.014 * fw, _shade(skin, 0.6))
    mouth_y = nose_y + p["mouth_gap"] * fh
    mw, lt = p["mouth_w"], p["lip"]
    lip = (175, 90, 90)
    d.chord((cx - mw * fw, mouth_y - lt * fw, cx + mw * fw, mouth_y + 0.03 * fw), 180, 360, fill=lip)
    d.chord((cx - mw * 0.95 * fw, mouth_y - 0.05 * fw, cx + mw * 0.95 * fw, mouth_y + lt * 1.3 * fw), 0, 180,
            fill=_shade(lip, 1.08))
    d.line((cx - mw * fw, mouth_y - 0.01 * fw, cx + mw * fw, mouth_y - 0.01 * fw), fill=(110, 50, 50),
           width=max(1, int(0.008 * fw)))
    left, right = sorted(eyes)
    return {"crown_y": crown_y - 0.02 * fh, "chin_y": chin_y, "eye_left": left, "eye_right": right}


def _busy(image: Image.Image, rng: random.Random) -> None:
    """A cluttered room behind the student: shelves, posters, a window."""
    d = ImageDraw.Draw(image)
    w, h = image.size
    for _ in range(60):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        s = rng.uniform(0.03, 0.2) * h
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        if rng.random() < 0.5:
            d.rectangle((x, y, x + s, y + s * rng.uniform(0.3, 2)), fill=colour)
        else:
            d.ellipse((x, y, x + s, y + s), fill=colour)
