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


#: the quality the last photo of each file format landed at: frames of one station are alike, so the next
#: search starts there and usually needs two encodes instead of six or seven (same answer: the highest
#: quality under the size window, file size growing with quality)
_LAST_QUALITY: dict[tuple[int, int, int, int], int] = {}


def render(region: Image.Image, preset: FormatPreset, icc: bytes | None = None) -> tuple[bytes, int]:
    """The finished photo bytes and the JPEG quality used."""
    f = preset.file
    image = to_srgb(region, icc).resize((f.width, f.height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    lo, hi = f.min_quality, 95
    max_bytes, min_bytes = f.max_kb * 1024, f.min_kb * 1024
    key = (f.width, f.height, f.max_kb, lo)
    q = min(hi, max(lo, _LAST_QUALITY.get(key, lo)))
    data = encode(image, q, f.dpi)
    if len(data) <= max_bytes:           # fits: walk up while the next quality fits too
        best, best_q = data, q
        while best_q < hi:
            data = encode(image, best_q + 1, f.dpi)
            if len(data) > max_bytes:
                break
            best, best_q = data, best_q + 1
    else:                                # too big: walk down to the first that fits
        best, best_q = data, q
        while best_q > lo:
            best_q -= 1
            best = encode(image, best_q, f.dpi)
            if len(best) <= max_bytes:
                break
        if len(best) > max_bytes:
            return best, lo           # even the minimum quality is over the window: validate warns
    _LAST_QUALITY[key] = best_q
    if len(best) < min_bytes and best_q < 100:
        data = encode(image, 100, f.dpi)
        if len(data) <= max_bytes:
            best, best_q = data, 100
    return best, best_q
