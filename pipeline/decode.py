"""Bytes in, upright pixels out: JPEG (DCT-domain downscale for analysis), other raster formats, camera RAW.

Analysis needs only ~1000 px on the long side, and a 6000x4000 JPEG decoded at 1/4 or 1/8 scale in the DCT
domain costs a fraction of a full decode; the full resolution is decoded only for the crop, again at the
coarsest DCT scale that still gives the crop its 640 rows. RAW files give their embedded preview for the
verdict and a full demosaic for the final render. EXIF orientation is applied so a camera turned to portrait
gives an upright picture (that is not a "rotation" of the content).

Nothing is decoded before its header passed the size limits, and no pixels are handed out from a file that is
not whole (pipeline.integrity): a JPEG is decoded by a decoder that stops on damage, a PNG's CRCs are checked,
Pillow never loads a truncated file. `check_intact` runs the same checks for a caller that stores bytes
without analysing them (the hot folder before it hands a file over).
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from config.i18n import _
from pipeline.errors import DecodeError, ImageSizeError
from pipeline.integrity import (DEFAULT_LIMITS, DecodeLimits, ImageFacts, check_size, jpeg_facts, png_facts,
                                strict_jpeg, truncated)

log = logging.getLogger(__name__)

ANALYSIS_SIDE = 1000
_ROTATED = {5, 6, 7, 8}     # EXIF orientations that swap width and height
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}   # what ImageOps.exif_transpose does, for pixels without EXIF


@dataclass(frozen=True)
class Decoded:
    """The analysis image (upright RGB array) and how it maps to the upright full frame."""
    rgb: np.ndarray            # H x W x 3 uint8, upright
    scale: float               # full-frame pixels per analysis pixel
    full_size: tuple[int, int]  # upright full frame (width, height)
    kind: str                  # jpeg | png | tiff | raw | ...
    #: a RAW without an embedded preview: its half-size demosaic (upright), kept so the crop is cut from it
    #: instead of demosaicing the file a second time (None for everything else)
    demosaic: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: `rgb` is the file's own pixels at a DCT scale (or full size), not resampled: a crop that keeps its rows
    #: there is cut from it, as `decode_region` would decode it, instead of decoding the file again
    exact: bool = False


def sniff(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] in (b"II*\x00", b"MM\x00*") or data[4:8] == b"ftyp" or data[:4] in (b"FUJI", b"IIRO", b"IIU\x00"):
        return "raw-or-tiff"
    return "unknown"


def _open(data: bytes) -> Image.Image:
    """Pillow's view of the header (nothing decoded yet)."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageSizeError(str(exc)) from exc
    except UnidentifiedImageError as exc:       # its message names an in-memory buffer, nothing a user knows
        raise DecodeError(_("not an image: no JPEG, PNG, TIFF or camera RAW header")) from exc
    except Exception as exc:  # noqa: BLE001 - Pillow raises several kinds
        raise DecodeError(f"not an image Pillow can read ({exc})") from exc
    return image


def _load(image: Image.Image) -> Image.Image:
    try:
        image.load()
    except OSError as exc:
        raise truncated(f"{image.format or 'image'}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001
        raise DecodeError(f"image cannot be decoded ({exc})") from exc
    return image


def _pillow_image(data: bytes, limits: DecodeLimits) -> Image.Image:
    """A non-JPEG picture decoded whole by Pillow, after its structure and size were checked."""
    if data.startswith(b"\x89PNG"):
        png_facts(data, limits)
    image = _open(data)
    check_size(*image.size, limits)
    return _load(image)


def _strict_jpeg_pixels(data: bytes, facts: ImageFacts, size: tuple[int, int] | None = None) -> np.ndarray:
    """The JPEG decoded at the DCT scale Pillow's draft(size) would pick (1/1, 1/2, 1/4 or 1/8: the analysis
    was tuned on those), or full size; refused on damage."""
    if size is None:
        return strict_jpeg(data)
    w, h = facts.width, facts.height
    ratio = min(w // max(size[0], 1), h // max(size[1], 1))
    scale = next(s for s in (8, 4, 2, 1) if ratio >= s)
    return strict_jpeg(data, -(-w // scale), -(-h // scale))


def _strict_jpeg_image(data: bytes, facts: ImageFacts, size: tuple[int, int] | None = None) -> Image.Image:
    return Image.fromarray(_strict_jpeg_pixels(data, facts, size))


#: EXIF orientation -> the numpy view that makes the pixels upright (the same pixels as `_TRANSPOSE`)
_UPRIGHT = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
            5: lambda a: a.transpose(1, 0, 2), 6: lambda a: np.rot90(a, -1),
            7: lambda a: np.rot90(a, 2).transpose(1, 0, 2), 8: lambda a: np.rot90(a, 1)}


def _upright_pixels(rgb: np.ndarray, orientation: int) -> np.ndarray:
    """`_upright` on an array. WHY not through Pillow: a 1500 x 1000 array into an Image and back costs two
    conversions (~10 ms here, more than half the decode itself) on every verdict; a turned frame costs one
    copy here."""
    turn = _UPRIGHT.get(orientation)
    return rgb if turn is None else np.ascontiguousarray(turn(rgb))


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


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


def _shrink_to(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """A demosaic or bitmap thumbnail brought to ~max_side (area average), as a JPEG's DCT scaling would:
    the analysis is tuned at that size, and a 3000x2000 half-size demosaic costs it four times the work."""
    if max(rgb.shape[:2]) <= max_side * 1.5:
        return rgb
    import cv2
    ratio = max_side / max(rgb.shape[:2])
    size = (max(1, round(rgb.shape[1] * ratio)), max(1, round(rgb.shape[0] * ratio)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def decode_for_analysis(data: bytes, max_side: int = ANALYSIS_SIDE, *,
                        limits: DecodeLimits = DEFAULT_LIMITS) -> Decoded:
    """Upright RGB at about `max_side` px on the long side, and the full frame's upright size.

    Raises DecodeError (TruncatedImage, CorruptImage, ImageSizeError) for anything but a whole picture."""
    if not data:
        raise DecodeError("empty file")
    raw = _open_raw(data)
    if raw is not None:
        with raw:
            full = _raw_upright_size(raw)
            check_size(*full, limits)
            preview = _raw_preview(raw)
        demosaic = None
        if isinstance(preview, bytes):
            rgb = decode_for_analysis(preview, max_side).rgb
        else:
            demosaic = np.ascontiguousarray(preview[..., :3])
            rgb = _shrink_to(demosaic, max_side)
        return Decoded(rgb, max(full) / max(rgb.shape[:2]), full, "raw",
                       demosaic if demosaic is not None and demosaic.shape[:2] != rgb.shape[:2] else None)
    if sniff(data) == "jpeg":
        facts = jpeg_facts(data, limits)
        orientation = _orientation(_open(data))
        w, h = facts.width, facts.height
        factor = max(w, h) / max_side
        pixels = _strict_jpeg_pixels(data, facts, (int(w / factor), int(h / factor)) if factor > 1 else None)
        if max(pixels.shape[:2]) <= max_side * 1.5:     # the usual frame: the decoder's array as it comes
            full = (h, w) if orientation in _ROTATED else (w, h)
            rgb = _upright_pixels(pixels, orientation)
            rgb.setflags(write=False)           # shared by the verdict, the photo and the likeness: never edited
            return Decoded(rgb, full[0] / rgb.shape[1], full, "jpeg", exact=True)
        image = Image.fromarray(pixels)
        kind = "jpeg"
    else:
        image = _pillow_image(data, limits)
        kind = (image.format or "unknown").lower()
        orientation = _orientation(image)
        w, h = image.size
        image = _to_rgb(image)
    exact = max(image.size) <= max_side * 1.5
    if not exact:
        ratio = max_side / max(image.size)
        image = image.resize((max(1, round(image.width * ratio)), max(1, round(image.height * ratio))),
                             Image.Resampling.BILINEAR)
    image = _upright(image, orientation)
    full = (h, w) if orientation in _ROTATED else (w, h)
    rgb = np.asarray(image)
    return Decoded(rgb, full[0] / rgb.shape[1], full, kind, exact=exact)


def decode_region(data: bytes, box: tuple[int, int, int, int], min_height: int, *,
                  limits: DecodeLimits = DEFAULT_LIMITS, decoded: Decoded | None = None) -> Image.Image:
    """The upright full frame's `box`, decoded at the coarsest DCT scale that keeps >= `min_height` rows.
    `decoded`: the verdict's own decode of the same bytes; a RAW's half-size demosaic in it is cut directly
    when the crop keeps its rows there, and so is its JPEG decode when that is the scale this would decode at
    (the same pixels: a 6000x4000 frame's crop at 1/4 scale), so a photo costs no second decode."""
    source = None
    if decoded is not None and decoded.demosaic is not None and (box[3] - box[1]) / 2 >= min_height:
        source = decoded.demosaic
    elif decoded is not None and decoded.exact and \
            min_height <= (box[3] - box[1]) * decoded.rgb.shape[0] / decoded.full_size[1] < 2 * min_height:
        source = decoded.rgb          # the verdict's own decode is the scale a second decode would pick: reuse it
    if source is not None:
        arr = source
        sx, sy = arr.shape[1] / decoded.full_size[0], arr.shape[0] / decoded.full_size[1]
        left, top, right, bottom = (round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy))
        if 0 <= left < right <= arr.shape[1] and 0 <= top < bottom <= arr.shape[0]:
            # the crop's pixels only (Pillow's crop of the whole picture would copy all of it first)
            return Image.fromarray(np.ascontiguousarray(arr[top:bottom, left:right]))
        return Image.fromarray(arr).crop((left, top, right, bottom))     # beyond the edge: Pillow pads it
    raw = _open_raw(data)
    if raw is not None:
        import rawpy
        try:
            with raw:
                full_w, full_h = _raw_upright_size(raw)
                check_size(full_w, full_h, limits)
                # half size (each 2x2 Bayer cell one pixel: no interpolation, a quarter of the memory) when
                # the crop keeps its rows there
                half = (box[3] - box[1]) / 2 >= min_height
                rgb = raw.postprocess(use_camera_wb=True, output_bps=8, half_size=half)
        except rawpy.LibRawError as exc:
            raise DecodeError(f"camera RAW file cannot be demosaiced ({exc})") from exc
        sx, sy = rgb.shape[1] / full_w, rgb.shape[0] / full_h
        return Image.fromarray(rgb).crop((round(box[0] * sx), round(box[1] * sy), round(box[2] * sx),
                                          round(box[3] * sy)))
    crop_h = box[3] - box[1]
    factor = crop_h / max(min_height, 1)
    if sniff(data) == "jpeg":
        facts = jpeg_facts(data, limits)
        orientation = _orientation(_open(data))
        w, h = facts.width, facts.height
        # any of libjpeg's M/8 scales (3/8, 5/8 too: the crop is resampled anyway), the smallest that keeps the
        # crop's rows: less to decode and to resample than the next power of two
        image = Image.fromarray(strict_jpeg(data, int(w / factor) + 1, int(h / factor) + 1)) if factor > 1.2 \
            else _strict_jpeg_image(data, facts)
    else:
        image = _pillow_image(data, limits)
        orientation = _orientation(image)
        w, h = image.size
        image = _to_rgb(image)
    if orientation != 1:
        image = _upright(image, orientation)
        w, h = (h, w) if orientation in _ROTATED else (w, h)
    sx, sy = image.width / w, image.height / h
    return image.crop((round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy)))


def check_intact(data: bytes, *, limits: DecodeLimits = DEFAULT_LIMITS) -> ImageFacts:
    """Decode the whole file, refusing anything but a whole picture; returns its kind and stored size.

    For callers that keep bytes before (or without) analysing them: the hot folder before it hands a file
    over, an import before it stores a photo. `decode_for_analysis` and `decode_region` run the same checks
    on their own, so the verdict path needs no extra call. A JPEG costs one strict decode at 1/8 scale (every
    coefficient is still entropy-decoded); a RAW unpacks its sensor data."""
    if not data:
        raise DecodeError("empty file")
    raw = _open_raw(data)
    if raw is not None:
        import rawpy
        with raw:
            width, height = _raw_upright_size(raw)
            check_size(width, height, limits)
            try:
                _ = raw.raw_image          # unpacks the sensor data: opening alone only reads the header
            except rawpy.LibRawError as exc:
                raise truncated(f"camera RAW: {exc}") from exc
            preview = _raw_preview(raw)
        if isinstance(preview, bytes):
            check_intact(preview, limits=limits)
        return ImageFacts("raw", width, height)
    if sniff(data) == "jpeg":
        facts = jpeg_facts(data, limits)
        strict_jpeg(data, 1, 1)
        return facts
    image = _pillow_image(data, limits)
    return ImageFacts((image.format or "unknown").lower(), *image.size)


def icc_profile(data: bytes) -> bytes | None:
    try:
        return Image.open(io.BytesIO(data)).info.get("icc_profile")
    except Exception:  # noqa: BLE001
        return None
