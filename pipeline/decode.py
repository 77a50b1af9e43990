"""Bytes in, upright pixels out: JPEG (DCT-domain downscale for analysis), other raster formats, camera RAW.

Analysis needs only ~1000 px on the long side, and a 6000x4000 JPEG decoded at 1/4 or 1/8 scale in the DCT
domain costs a fraction of a full decode; the full resolution is decoded only for the crop, again at the
coarsest DCT scale that still gives the crop its 640 rows. RAW files give their embedded preview for the
verdict and a full demosaic for the final render. EXIF orientation is applied so a camera turned to portrait
gives an upright picture (that is not a "rotation" of the content).
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from pipeline.errors import DecodeError

log = logging.getLogger(__name__)

ANALYSIS_SIDE = 1000
_ROTATED = {5, 6, 7, 8}     # EXIF orientations that swap width and height


@dataclass(frozen=True)
class Decoded:
    """The analysis image (upright RGB array) and how it maps to the upright full frame."""
    rgb: np.ndarray            # H x W x 3 uint8, upright
    scale: float               # full-frame pixels per analysis pixel
    full_size: tuple[int, int]  # upright full frame (width, height)
    kind: str                  # jpeg | png | tiff | raw | ...


def sniff(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] in (b"II*\x00", b"MM\x00*") or data[4:8] == b"ftyp" or data[:4] in (b"FUJI", b"IIRO", b"IIU\x00"):
        return "raw-or-tiff"
    return "unknown"


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - Pillow raises several kinds
        raise DecodeError(f"not an image Pillow can read ({exc})") from exc
    return image


def _load(image: Image.Image) -> Image.Image:
    try:
        image.load()
    except OSError as exc:
        raise DecodeError(f"image data is damaged or truncated ({exc})") from exc
    except Exception as exc:  # noqa: BLE001
        raise DecodeError(f"image cannot be decoded ({exc})") from exc
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - broken EXIF: treat as upright
        return 1


def _open_raw(data: bytes):  # type: ignore[no-untyped-def]
    """An open rawpy object when LibRaw knows this file (close it: use `with`), else None (maybe a TIFF).

    Opened once per decode: parsing a 40 MB RAW is not free, so the size, the preview and the demosaic all
    come from the same object."""
    if sniff(data) != "raw-or-tiff":
        return None
    import rawpy
    try:
        return rawpy.imread(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - not a RAW LibRaw knows: Pillow gets its chance (plain TIFF)
        return None


def _raw_upright_size(raw) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Upright size of a RAW's full render (LibRaw applies the flip itself)."""
    s = raw.sizes
    return (s.height, s.width) if s.flip in (5, 6) else (s.width, s.height)


def _raw_preview(raw) -> bytes | np.ndarray:  # type: ignore[no-untyped-def]
    """The camera's embedded JPEG (fast), else its bitmap thumbnail, else a half-size demosaic."""
    import rawpy
    try:
        try:
            thumb = raw.extract_thumb()
        except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
            return raw.postprocess(use_camera_wb=True, half_size=True, output_bps=8)
        if thumb.format == rawpy.ThumbFormat.JPEG:
            return bytes(thumb.data)
        return np.asarray(thumb.data)
    except rawpy.LibRawError as exc:
        raise DecodeError(f"camera RAW file cannot be read ({exc})") from exc


def decode_for_analysis(data: bytes, max_side: int = ANALYSIS_SIDE) -> Decoded:
    """Upright RGB at about `max_side` px on the long side, and the full frame's upright size."""
    if not data:
        raise DecodeError("empty file")
    raw = _open_raw(data)
    if raw is not None:
        with raw:
            full = _raw_upright_size(raw)
            preview = _raw_preview(raw)
        if isinstance(preview, bytes):
            rgb = decode_for_analysis(preview, max_side).rgb
        else:
            rgb = np.ascontiguousarray(preview[..., :3])
        return Decoded(rgb, max(full) / max(rgb.shape[:2]), full, "raw")
    image = _open(data)
    kind = (image.format or "unknown").lower()
    orientation = _orientation(image)
    w, h = image.size
    if kind == "jpeg":
        factor = max(w, h) / max_side
        if factor > 1:
            image.draft("RGB", (int(w / factor), int(h / factor)))
    image = _to_rgb(_load(image))
    if max(image.size) > max_side * 1.5:
        ratio = max_side / max(image.size)
        image = image.resize((round(image.width * ratio), round(image.height * ratio)), Image.Resampling.BILINEAR)
    image = ImageOps.exif_transpose(image) if orientation != 1 else image
    full = (h, w) if orientation in _ROTATED else (w, h)
    rgb = np.asarray(image)
    return Decoded(rgb, full[0] / rgb.shape[1], full, kind)


def decode_region(data: bytes, box: tuple[int, int, int, int], min_height: int) -> Image.Image:
    """The upright full frame's `box`, decoded at the coarsest DCT scale that keeps >= `min_height` rows."""
    raw = _open_raw(data)
    if raw is not None:
        import rawpy
        try:
            with raw:
                rgb = raw.postprocess(use_camera_wb=True, output_bps=8)
        except rawpy.LibRawError as exc:
            raise DecodeError(f"camera RAW file cannot be demosaiced ({exc})") from exc
        return Image.fromarray(rgb).crop(box)
    image = _open(data)
    orientation = _orientation(image)
    w, h = image.size
    crop_h = box[3] - box[1]
    factor = crop_h / max(min_height, 1)
    if image.format == "JPEG" and factor > 1.2:
        image.draft("RGB", (int(w / factor) + 1, int(h / factor) + 1))
    image = _to_rgb(_load(image))
    if orientation != 1:
        image = ImageOps.exif_transpose(image)
        w, h = (h, w) if orientation in _ROTATED else (w, h)
    sx, sy = image.width / w, image.height / h
    return image.crop((round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy)))


def icc_profile(data: bytes) -> bytes | None:
    try:
        return Image.open(io.BytesIO(data)).info.get("icc_profile")
    except Exception:  # noqa: BLE001
        return None
