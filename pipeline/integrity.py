"""Is this file a whole picture? Header limits, the file's structure, and a decoder that reports damage.

Pillow's `verify()` decodes nothing, and libjpeg (behind Pillow and OpenCV) quietly fills a JPEG whose data
stops early with grey: a file cut at 55% with its end marker put back decodes "fine" with a grey lower half.
So trust comes from three checks, each cheap enough for the press-to-verdict path:

1. the header's size, refused before any decoding (a 50000x50000 header is a decompression bomb);
2. the structure: a JPEG's markers walked to its end-of-image marker (the entropy-coded data is skipped
   with one regex search per scan), the scans of a progressive JPEG covering every coefficient, a PNG's
   chunks checked against their CRCs up to IEND;
3. a JPEG decode that stops on libjpeg's first warning ("premature end of data segment", "bad Huffman code",
   "extraneous bytes"...): simplejpeg's strict mode (libjpeg-turbo's TJFLAG_STOPONWARNING). Every
   coefficient is entropy-decoded at any DCT scale, so the strict decode at the analysis scale costs what the
   lenient one did (bench/bench_decode.py measures both).

JPEG has no checksum: a flipped bit that keeps the Huffman stream in step (a coefficient's magnitude bits)
changes one block, or shifts the DC level slightly, and no decoder can see it. Everything that breaks the
stream (truncation, grey fill, a desynchronised stream) is refused.
"""
from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from config.i18n import _
from pipeline.errors import CorruptImage, ImageSizeError, TruncatedImage


@dataclass(frozen=True)
class DecodeLimits:
    """What the station decodes at all. A 102 MP medium-format frame fits; 20000x12000 does not."""
    max_pixels: int = 120_000_000
    max_aspect: float = 4.0       # long side / short side: cameras make 3:2, 4:3, 16:9; 1x60000 is no photo
    min_side: int = 16


DEFAULT_LIMITS = DecodeLimits()


@dataclass(frozen=True)
class ImageFacts:
    """What the header and structure say: the stored (not EXIF-rotated) size and the kind of file."""
    kind: str          # jpeg | png | raw | tiff | ...
    width: int
    height: int
    progressive: bool = False


def check_size(width: int, height: int, limits: DecodeLimits = DEFAULT_LIMITS) -> None:
    """Refuse, from the header alone, a size no camera frame or photo has."""
    if width <= 0 or height <= 0:
        size = f"size {width}x{height}"
        raise CorruptImage(_("the picture's header is damaged ({detail})", detail=size))
    if width * height > limits.max_pixels:
        raise ImageSizeError(
            _("picture too large: {width}x{height} pixels, more than {limit} megapixels",
              width=width, height=height, limit=limits.max_pixels // 1_000_000),
            hint=_("a camera frame is at most about 100 megapixels: export a smaller copy of this picture"))
    long_side, short_side = max(width, height), min(width, height)
    if short_side < limits.min_side:
        raise ImageSizeError(_("picture too small: {width}x{height} pixels (at least {side} pixels a side)",
                              width=width, height=height, side=limits.min_side))
    if long_side > short_side * limits.max_aspect:
        ratio = f"{limits.max_aspect:g}"
        raise ImageSizeError(_("picture has an impossible shape: {width}x{height} pixels (at most {ratio}:1)",
                               width=width, height=height, ratio=ratio))


def truncated(detail: str) -> TruncatedImage:
    return TruncatedImage(_("the picture is incomplete: its data ends early ({detail})", detail=detail),
                          hint=_("copy the file again from the camera card, or shoot again"))


def corrupt(detail: str) -> CorruptImage:
    return CorruptImage(_("the picture's data is damaged ({detail})", detail=detail),
                        hint=_("copy the file again from the camera card, or shoot again"))


# -- JPEG ----------------------------------------------------------------------------------------------------
_SOF = {0xC0: False, 0xC1: False, 0xC2: True, 0xC9: False, 0xCA: True}   # frame markers -> progressive?
_UNSUPPORTED_SOF = {0xC3: "lossless", 0xC5: "hierarchical", 0xC6: "hierarchical", 0xC7: "hierarchical",
                    0xCB: "lossless", 0xCD: "hierarchical", 0xCE: "hierarchical", 0xCF: "hierarchical"}
# The first marker after a scan's entropy-coded data: FF followed by anything but 00 (stuffing), a restart
# marker or another FF (fill). One C-speed search per scan instead of a Python loop over megabytes.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


@dataclass
class _Scan:
    components: tuple[int, ...]
    ss: int
    se: int
    al: int


def jpeg_facts(data: bytes, limits: DecodeLimits = DEFAULT_LIMITS) -> ImageFacts:
    """Walk a JPEG's markers from SOI to EOI; refuse a missing end, a missing scan or an oversize header."""
    if not data.startswith(b"\xff\xd8"):
        raise corrupt("JPEG: no start-of-image marker")
    n = len(data)
    pos = 2
    frame: _Frame | None = None
    scans: list[_Scan] = []
    entropy_bytes = 0
    while True:
        if pos >= n:
            raise truncated("JPEG truncated: no end-of-image marker")
        if data[pos] != 0xFF:
            raise corrupt(f"JPEG: no marker at offset {pos}")
        while pos < n and data[pos] == 0xFF:      # fill bytes may precede a marker
            pos += 1
        if pos >= n:
            raise truncated("JPEG truncated: no end-of-image marker")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:   # markers without a length
            continue
        if marker in (0x00, 0xD8):
            raise corrupt(f"JPEG: unexpected marker 0x{marker:02X} at offset {pos - 1}")
        if pos + 2 > n:
            raise truncated("JPEG truncated inside a header")
        (length,) = struct.unpack_from(">H", data, pos)
        end = pos + length
        if length < 2 or end > n:
            raise truncated("JPEG truncated inside a header") if end > n else corrupt("JPEG: bad segment length")
        segment = data[pos + 2:end]
        if marker in _UNSUPPORTED_SOF:
            raise corrupt(f"JPEG: {_UNSUPPORTED_SOF[marker]} JPEG is not supported")
        if marker in _SOF:
            if frame is not None:
                raise corrupt("JPEG: two frame headers")
            frame = _frame_header(segment, progressive=_SOF[marker])
            check_size(frame.width, frame.height, limits)
        elif marker == 0xDA:
            if frame is None:
                raise corrupt("JPEG: picture data before the frame header")
            scans.append(_scan_header(segment))
            found = _NEXT_MARKER.search(data, end)
            if found is None:
                raise truncated("JPEG truncated: the picture data does not end")
            pos = found.start()
            entropy_bytes += pos - end
            continue
        pos = end
    if frame is None:
        raise corrupt("JPEG: no frame header")
    if not scans:
        raise truncated("JPEG truncated: no picture data")
    _check_coverage(frame.components, scans, frame.progressive)
    # Every 8x8 block costs at least one Huffman code (two in a sequential scan: DC and AC/EOB), each at least
    # one bit. A header claiming more blocks than the data can hold is refused before any pixel is allocated.
    bits_per_block = 1 if frame.progressive else 2
    if frame.blocks * bits_per_block > entropy_bytes * 8:
        raise truncated(f"JPEG truncated: {entropy_bytes} bytes of picture data cannot hold "
                        f"{frame.width}x{frame.height} pixels")
    return ImageFacts("jpeg", frame.width, frame.height, frame.progressive)


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    progressive: bool
    components: tuple[int, ...]
    blocks: int          # 8x8 blocks over all components (without MCU padding: a lower bound)


def _frame_header(segment: bytes, *, progressive: bool) -> _Frame:
    if len(segment) < 6:
        raise corrupt("JPEG: short frame header")
    precision, height, width, count = struct.unpack_from(">BHHB", segment)
    if precision != 8:
        raise corrupt(f"JPEG: {precision}-bit samples are not supported")
    if height == 0:
        raise corrupt("JPEG: height 0 (DNL marker) is not supported")
    if count not in (1, 3, 4) or len(segment) < 6 + 3 * count:
        raise corrupt("JPEG: bad component list in the frame header")
    ids = tuple(segment[6 + 3 * i] for i in range(count))
    sampling = [(segment[7 + 3 * i] >> 4, segment[7 + 3 * i] & 0x0F) for i in range(count)]
    if any(not (1 <= h <= 4 and 1 <= v <= 4) for h, v in sampling):
        raise corrupt("JPEG: bad sampling factors in the frame header")
    h_max, v_max = max(h for h, _v in sampling), max(v for _h, v in sampling)
    blocks = sum(_ceil(_ceil(width * h, h_max), 8) * _ceil(_ceil(height * v, v_max), 8) for h, v in sampling)
    return _Frame(width, height, progressive, ids, blocks)


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _scan_header(segment: bytes) -> _Scan:
    if not segment:
        raise corrupt("JPEG: empty scan header")
    count = segment[0]
    if count < 1 or len(segment) < 1 + 2 * count + 3:
        raise corrupt("JPEG: bad scan header")
    ids = tuple(segment[1 + 2 * i] for i in range(count))
    ss, se, approx = segment[1 + 2 * count:4 + 2 * count]
    return _Scan(ids, ss, se, approx & 0x0F)


def _check_coverage(components: tuple[int, ...], scans: list[_Scan], progressive: bool) -> None:
    """Every component has its data: a sequential JPEG scans each once; a progressive one brings every
    coefficient of every component to full precision. A file cut between two scans with its end marker put
    back decodes without any warning, so only this check sees it."""
    if not progressive:
        seen = {c for s in scans for c in s.components}
        missing = [c for c in components if c not in seen]
        if missing:
            raise truncated(f"JPEG truncated: {len(missing)} colour component(s) have no picture data")
        return
    final = {c: np.zeros(64, bool) for c in components}
    for scan in scans:
        lo, hi = min(scan.ss, 63), min(scan.se, 63)
        for c in scan.components:
            if c in final and scan.al == 0 and lo <= hi:
                final[c][lo:hi + 1] = True
    incomplete = sum(1 for done in final.values() if not done.all())
    if incomplete:
        raise truncated(f"JPEG truncated: progressive scans missing for {incomplete} colour component(s)")


def strict_jpeg(data: bytes, min_width: int = 0, min_height: int = 0) -> np.ndarray:
    """RGB pixels at the coarsest DCT scale that keeps min_width x min_height (0: full size), refusing on
    libjpeg's first warning. Call `jpeg_facts` first: it refuses oversize headers before memory is spent."""
    import simplejpeg
    try:
        return simplejpeg.decode_jpeg(data, colorspace="RGB", min_width=max(0, min_width),
                                      min_height=max(0, min_height), strict=True)
    except ValueError as exc:
        message = str(exc)
        if "premature end" in message.lower():
            raise truncated(f"JPEG: {message}") from exc
        raise corrupt(f"JPEG: {message}") from exc


# -- PNG -----------------------------------------------------------------------------------------------------
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}     # colour type -> samples per pixel
_DEFLATE_MAX_RATIO = 1032                          # deflate's best case: 258 bytes from 2 bits


def png_facts(data: bytes, limits: DecodeLimits = DEFAULT_LIMITS) -> ImageFacts:
    """Walk a PNG's chunks to IEND, checking each CRC (Pillow checks them only in verify(), which decodes
    nothing, and its decoder stops before the zlib checksum)."""
    if not data.startswith(_PNG_SIGNATURE):
        raise corrupt("PNG: no signature")
    n, pos = len(data), len(_PNG_SIGNATURE)
    size: tuple[int, int] | None = None
    has_data = False
    idat_bytes, bits = 0, 8
    while True:
        if pos + 8 > n:
            raise truncated("PNG truncated: no IEND chunk")
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > n:
            raise truncated("PNG truncated inside a chunk")
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(data[pos + 4:end - 4]) != crc:
            raise corrupt(f"PNG: chunk {kind.decode('latin-1')!r} fails its CRC")
        if size is None:
            if kind != b"IHDR" or length < 13:
                raise corrupt("PNG: the first chunk is not IHDR")
            size = struct.unpack_from(">II", data, pos + 8)
            check_size(size[0], size[1], limits)
            depth, colour = data[pos + 16], data[pos + 17]
            bits = depth * _PNG_CHANNELS.get(colour, 1)
        elif kind == b"IDAT":
            has_data = True
            idat_bytes += length
        elif kind == b"IEND":
            break
        pos = end
    if not has_data:
        raise truncated("PNG truncated: no picture data")
    raw_bytes = size[1] * _ceil(size[0] * bits, 8)
    if raw_bytes > _DEFLATE_MAX_RATIO * idat_bytes + 1024:   # deflate cannot pack more: a bomb or a cut
        raise truncated(f"PNG truncated: {idat_bytes} bytes of picture data cannot hold "
                        f"{size[0]}x{size[1]} pixels")
    return ImageFacts("png", size[0], size[1])
