"""Damaged and hostile image files made from generated pictures (never the team photos): the decoder's tests,
the fuzz run and bench/bench_decode.py share them.

Each maker returns bytes the way the damage happens in the field: a copy or transfer cut short (with or
without its end marker put back, or padded to the original length like a pre-allocated file), a progressive
JPEG cut between two scans, a lost 512-byte sector (zeros, erased flash 0xFF, another file's bytes), a header
that lies about the size (a decompression bomb), a shape no camera makes, flipped bits.
"""
from __future__ import annotations

import io
import random
import re
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

from pipeline.synthetic import portrait

EOI = b"\xff\xd9"


def picture(seed: int = 1, size: tuple[int, int] = (640, 480), *, noise: int = 0) -> Image.Image:
    """A generated portrait; `noise` adds sensor-like grain so the JPEG has a camera's entropy."""
    image = Image.open(io.BytesIO(portrait(seed, width=size[0], height=size[1]).jpeg)).convert("RGB")
    if noise:
        rng = np.random.default_rng(seed)
        arr = np.asarray(image).astype(np.int16) + rng.integers(-noise, noise + 1, (size[1], size[0], 3))
        image = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    return image


def jpeg(seed: int = 1, size: tuple[int, int] = (640, 480), *, progressive: bool = False, gray: bool = False,
         restart_rows: int = 0, quality: int = 90, noise: int = 0, exif: bytes | None = None) -> bytes:
    image = picture(seed, size, noise=noise)
    if gray:
        image = image.convert("L")
    if restart_rows:
        import cv2
        bgr = np.asarray(image)[..., ::-1] if image.mode == "RGB" else np.asarray(image)
        mcus_per_row = (size[0] + 15) // 16
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality,
                                             cv2.IMWRITE_JPEG_RST_INTERVAL, mcus_per_row * restart_rows])
        assert ok
        return buf.tobytes()
    buf = io.BytesIO()
    kwargs = {"exif": exif} if exif else {}
    image.save(buf, "JPEG", quality=quality, progressive=progressive, **kwargs)
    return buf.getvalue()


def png(seed: int = 1, size: tuple[int, int] = (320, 240), *, alpha: bool = False) -> bytes:
    image = picture(seed, size)
    if alpha:
        image = image.convert("RGBA")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


# -- where the picture data is --------------------------------------------------------------------------------
def scan_data(data: bytes) -> tuple[int, int]:
    """(first byte of the first scan's entropy-coded data, offset of the end-of-image marker)."""
    sos = data.index(b"\xff\xda")
    (length,) = struct.unpack_from(">H", data, sos + 2)
    return sos + 2 + length, data.rindex(EOI)


def scan_starts(data: bytes) -> list[int]:
    """Offsets of every SOS marker (a progressive JPEG has several), found by walking the markers."""
    starts, pos = [], 2
    while pos < len(data) - 3:
        marker = data[pos + 1]
        if marker == 0xD9:
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if marker != 0xDA:
            pos += 2 + length
            continue
        starts.append(pos)
        found = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]").search(data, pos + 2 + length)
        if found is None:
            break
        pos = found.start()
    return starts


def png_data(data: bytes) -> tuple[int, int]:
    """(offset of the first IDAT chunk, offset of the IEND chunk)."""
    return data.index(b"IDAT") - 4, data.rindex(b"IEND") - 4


# -- damage ---------------------------------------------------------------------------------------------------
def cut(data: bytes, at: int, tail: bytes = b"") -> bytes:
    return data[:at] + tail


def grey_fill(data: bytes, fraction: float = 0.55) -> bytes:
    """Cut at `fraction` with the end marker put back: libjpeg fills the rest with grey, Pillow says nothing."""
    return data[:int(len(data) * fraction)] + EOI


def padded(data: bytes, at: int, fill: int | None, rng: random.Random | None = None) -> bytes:
    """Cut at `at`, then padded back to the original length (a pre-allocated file never finished)."""
    missing = len(data) - at
    tail = bytes([fill]) * missing if fill is not None else (rng or random.Random(0)).randbytes(missing)
    return data[:at] + tail


def progressive_cut(data: bytes, scan: int) -> bytes:
    """A progressive JPEG cut just before its `scan`-th scan, end marker put back: decodes without a warning."""
    return data[:scan_starts(data)[scan]] + EOI


def sector(data: bytes, pos: int, size: int = 512, fill: int | None = 0, rng: random.Random | None = None) -> bytes:
    """`size` bytes at `pos` replaced: zeros (lost write), 0xFF (erased flash) or another file's bytes (None)."""
    size = min(size, len(data) - pos)
    block = bytes([fill]) * size if fill is not None else (rng or random.Random(0)).randbytes(size)
    return data[:pos] + block + data[pos + size:]


def flip(data: bytes, pos: int, bit: int) -> bytes:
    out = bytearray(data)
    out[pos] ^= 1 << bit
    return bytes(out)


def jpeg_with_size(data: bytes, width: int, height: int) -> bytes:
    """The frame header says width x height; the data stays what it was (a bomb when the size is huge)."""
    sof = next(m.start() for m in re.finditer(rb"\xff[\xc0\xc1\xc2]", data))
    out = bytearray(data)
    struct.pack_into(">HH", out, sof + 5, height, width)
    return bytes(out)


def png_with_size(data: bytes, width: int, height: int) -> bytes:
    """IHDR says width x height, with a correct CRC (a careful bomb)."""
    out = bytearray(data)
    struct.pack_into(">II", out, 16, width, height)
    struct.pack_into(">I", out, 29, zlib.crc32(bytes(out[12:29])))
    return bytes(out)


def strip_shape(width: int, height: int) -> bytes:
    """A real JPEG of an absurd shape (1x60000: the issue's crop crash)."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (90, 90, 90)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


# -- a labelled set ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hostile:
    category: str
    name: str
    data: bytes
    must_refuse: bool          # damage that loses picture data or lies about the size: never to be accepted
    original: bytes | None     # the whole file it was made from (to compare pixels with), when there is one


def hostile_set(count: int = 200, seed: int = 11) -> list[Hostile]:
    """`count` hostile files over every category (round robin), reproducible from `seed`."""
    rng = random.Random(seed)
    bases = [jpeg(1, (640, 480), noise=6), jpeg(2, (480, 640), quality=95), jpeg(3, (640, 480), restart_rows=2),
             jpeg(4, (640, 480), gray=True, noise=6)]
    prog = jpeg(5, (640, 480), progressive=True, noise=6)
    pngs = [png(6), png(7, alpha=True)]

    def truncated() -> Hostile:
        base = rng.choice(bases + [prog])
        start, end = scan_data(base)
        at = rng.randrange(start, end)
        tail = rng.choice([b"", EOI, b"\0" * 64 + EOI])
        return Hostile("truncated", f"cut at {at} of {len(base)}", cut(base, at, tail), True, base)

    def grey() -> Hostile:
        base = rng.choice(bases)
        fraction = rng.uniform(0.2, 0.95)
        return Hostile("grey-fill", f"cut at {fraction:.0%} + EOI", grey_fill(base, fraction), True, base)

    def preallocated() -> Hostile:
        base = rng.choice(bases)
        start, end = scan_data(base)
        at = rng.randrange(start, end)
        fill = rng.choice([0, 0xFF, None])
        return Hostile("pre-allocated", f"cut at {at}, padded with {fill}", padded(base, at, fill, rng), True, base)

    def scan_cut() -> Hostile:
        scans = len(scan_starts(prog))
        k = rng.randrange(1, scans)
        return Hostile("progressive-scan-cut", f"before scan {k} of {scans}", progressive_cut(prog, k), True, prog)

    def bomb() -> Hostile:
        if rng.random() < 0.5:
            w, h = rng.choice([(50000, 50000), (20000, 12000), (65535, 65535), (30000, 5000)])
            return Hostile("bomb", f"JPEG header {w}x{h}", jpeg_with_size(rng.choice(bases), w, h), True, None)
        w, h = rng.choice([(50000, 50000), (20000, 12000), (100000, 100000)])
        return Hostile("bomb", f"PNG header {w}x{h}", png_with_size(rng.choice(pngs), w, h), True, None)

    def shape() -> Hostile:
        w, h = rng.choice([(1, 60000), (60000, 1), (8, 4000), (5000, 600), (3, 3)])
        return Hostile("impossible-shape", f"{w}x{h}", strip_shape(w, h), True, None)

    def lost_sector() -> Hostile:
        base = rng.choice(bases + [prog])
        start, end = scan_data(base)
        pos = rng.randrange(start, max(start + 1, end - 4096))
        size, fill = rng.choice([512, 4096]), rng.choice([0, 0xFF, None])
        return Hostile("lost-sector", f"{size} B of {fill} at {pos}", sector(base, pos, size, fill, rng), False, base)

    def png_damage() -> Hostile:
        base = rng.choice(pngs)
        first, iend = png_data(base)
        if rng.random() < 0.5:
            at = rng.randrange(first, iend)
            return Hostile("png-truncated", f"cut at {at} + IEND", base[:at] + base[iend:], True, base)
        pos = rng.randrange(first + 8, iend)
        return Hostile("png-bit-flip", f"bit flip at {pos}", flip(base, pos, rng.randrange(8)), True, base)

    def bit_flip() -> Hostile:
        base = rng.choice(bases)
        start, end = scan_data(base)
        pos = rng.randrange(start, end)
        return Hostile("jpeg-bit-flip", f"bit flip at {pos}", flip(base, pos, rng.randrange(8)), False, base)

    def garbage() -> Hostile:
        head = rng.choice([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"GIF89a", b""])
        return Hostile("garbage", f"{head[:4]!r} + random", head + rng.randbytes(rng.randrange(0, 3000)), True, None)

    makers = [truncated, grey, preallocated, scan_cut, bomb, shape, lost_sector, png_damage, bit_flip, garbage]
    return [makers[i % len(makers)]() for i in range(count)]
