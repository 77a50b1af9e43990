"""An independent check of a finished JPEG against the format: file rules read from the bytes, geometry
re-measured on the pixels. It shares no state with the renderer, so it also judges photos made elsewhere
(a student's own submission, a previous export)."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

from config.formats import FormatPreset
from pipeline.analyse import analyse
from pipeline.decode import decode_for_analysis
from pipeline.errors import DecodeError
from pipeline.result import RuleResult, Validation

# libjpeg's standard luminance table (quality 50): the reference for the quality estimate
_STD_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], dtype=np.float64)


def estimate_quality(image: Image.Image) -> int | None:
    """The IJG quality factor that would produce this file's luminance table (order-independent)."""
    tables = getattr(image, "quantization", None)
    if not tables or 0 not in tables:
        return None
    table = np.array(tables[0], dtype=np.float64)
    ratio = np.sort(table)[: 64] / np.sort(_STD_LUMA)
    scale = float(np.mean(ratio)) * 100
    q = (200 - scale) / 2 if scale <= 100 else 5000 / scale
    return int(round(min(100, max(1, q))))


def _rule(rules: list[RuleResult], name: str, ok: bool, detail: str, *, warn: bool = False) -> None:
    rules.append(RuleResult(name, "pass" if ok else ("warn" if warn else "fail"), detail))


def validate(jpeg: bytes, preset: FormatPreset) -> Validation:
    f, g = preset.file, preset.geometry
    rules: list[RuleResult] = []
    try:
        image = Image.open(io.BytesIO(jpeg))
        image.load()
    except Exception as exc:  # noqa: BLE001
        return Validation((RuleResult("decodable", "fail", f"not a readable image: {exc}"),))
    _rule(rules, "format", image.format == "JPEG", f"format {image.format}, JPEG required")
    _rule(rules, "pixels", image.size == (f.width, f.height),
          f"{image.width}x{image.height}, required {f.width}x{f.height}")
    _rule(rules, "colour", image.mode == "RGB", f"mode {image.mode}, 24-bit RGB required")
    jfif = image.info.get("dpi")
    jfif_ok = bool(jfif) and all(abs(float(v) - f.dpi) < 1 for v in jfif)
    exif = image.getexif()
    xres = exif.get(0x011A)
    exif_ok = xres is not None and abs(float(xres) - f.dpi) < 1 and exif.get(0x0128, 2) == 2
    _rule(rules, "dpi", jfif_ok and exif_ok,
          f"JFIF {jfif or 'missing'}, EXIF {float(xres) if xres is not None else 'missing'}; {f.dpi} dpi required")
    progressive = bool(image.info.get("progressive") or image.info.get("progression"))
    _rule(rules, "baseline", image.format != "JPEG" or not progressive, "progressive JPEG; baseline required")
    q = estimate_quality(image) if image.format == "JPEG" else None
    _rule(rules, "quality", q is not None and q >= f.min_quality - 2,
          f"estimated quality {q}, at least {f.min_quality} required")
    kb = len(jpeg) / 1024
    _rule(rules, "file_size", f.min_kb <= kb <= f.max_kb, f"{kb:.1f} KB, aim {f.min_kb:g}-{f.max_kb:g} KB", warn=True)
    if image.size != (f.width, f.height) or image.mode not in ("RGB", "L"):
        return Validation(tuple(rules))
    try:
        # half resolution (a DCT-domain decode) measures the bands within 1 px of full resolution at half
        # the cost: that is what lets a day's export re-check every photo
        a = analyse(decode_for_analysis(jpeg, max_side=max(f.width, f.height) // 2), preset, geometry_only=True)
    except DecodeError as exc:
        rules.append(RuleResult("geometry", "fail", f"cannot measure: {exc}"))
        return Validation(tuple(rules))
    if a.faces != 1:
        rules.append(RuleResult("one_face", "fail", f"{a.faces} faces found, exactly one required"))
        return Validation(tuple(rules))
    # a band measured on a re-detection may wobble by a few px: 4 px of slack before failing
    slack = 4.0
    for name, value, band in (("crown_y", a.crown_y, g.crown_y), ("eye_y", a.eye_mid[1], g.eye_y),
                              ("face_width", a.face_width, g.face_width)):
        inside = band.min - slack <= value <= band.max + slack
        _rule(rules, name, inside, f"{value:.0f} px, band {band.min:g}-{band.max:g}")
    off = a.eye_mid[0] - g.centre_x
    _rule(rules, "centre_x", abs(off) <= g.centre_tolerance + slack,
          f"eyes centred at x={a.eye_mid[0]:.0f}, aim {g.centre_x:g} ±{g.centre_tolerance:g}")
    return Validation(tuple(rules))
