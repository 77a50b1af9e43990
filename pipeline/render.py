"""Make the finished JPEG: crop, resample, sRGB, 24-bit, 300 dpi (JFIF and EXIF), baseline, and the
highest quality that lands the file inside the size window (never below the preset's minimum quality)."""
from __future__ import annotations

import io

from PIL import Image, ImageCms, TiffImagePlugin

from config.formats import FormatPreset

_SRGB = None


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert from the camera's embedded profile (e.g. Adobe RGB) to sRGB; plain RGB is taken as sRGB."""
    global _SRGB
    if not icc:
        return image.convert("RGB")
    try:
        if _SRGB is None:
            _SRGB = ImageCms.createProfile("sRGB")
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image.convert("RGB"), source, _SRGB, outputMode="RGB")
    except Exception:  # noqa: BLE001 - a broken profile: keep the pixels as they are
        return image.convert("RGB")


def _exif_300(dpi: int) -> bytes:
    exif = Image.Exif()
    exif[0x011A] = TiffImagePlugin.IFDRational(dpi, 1)    # XResolution
    exif[0x011B] = TiffImagePlugin.IFDRational(dpi, 1)    # YResolution
    exif[0x0128] = 2           # ResolutionUnit: inch
    return exif.tobytes()


def encode(image: Image.Image, quality: int, dpi: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, dpi=(dpi, dpi), exif=_exif_300(dpi), progressive=False,
               optimize=True, subsampling="4:2:0")
    return buf.getvalue()


def render(region: Image.Image, preset: FormatPreset, icc: bytes | None = None) -> tuple[bytes, int]:
    """The finished photo bytes and the JPEG quality used."""
    f = preset.file
    image = to_srgb(region, icc).resize((f.width, f.height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    lo, hi = f.min_quality, 95
    max_bytes, min_bytes = f.max_kb * 1024, f.min_kb * 1024
    best = encode(image, lo, f.dpi)
    best_q = lo
    if len(best) > max_bytes:
        return best, lo           # even the minimum quality is over the window: validate warns
    while lo <= hi:               # highest quality that stays under the upper bound
        mid = (lo + hi) // 2
        data = encode(image, mid, f.dpi)
        if len(data) <= max_bytes:
            best, best_q, lo = data, mid, mid + 1
        else:
            hi = mid - 1
    if len(best) < min_bytes and best_q < 100:
        data = encode(image, 100, f.dpi)
        if len(data) <= max_bytes:
            best, best_q = data, 100
    return best, best_q
