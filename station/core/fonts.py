"""A font that can draw Chinese names on print sheets and in PDF/HTML outputs.

Pillow's built-in font has no CJK glyphs: a name drawn with it comes out as empty boxes. The station
prefers the system's Chinese font (fontconfig knows which one the desktop uses), and falls back to the
GB2312 subset of Noto Sans CJK SC (OFL-1.1) that ships in config/fonts/, so a fresh laptop without any
CJK font still prints names. A font is only accepted after it really drew Chinese glyphs: fontconfig
answers with its best match even when nothing on the machine covers Chinese (DejaVu, typically).
"""
from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from config.errors import DomainError

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

log = logging.getLogger(__name__)

BUNDLED_NAME = "NotoSansCJKsc-Regular-GB2312.otf"
FC_PATTERN = "sans-serif:lang=zh-cn"
#: characters a usable font must draw: a surname, a given name and the label words of a print sheet
PROBE_TEXT = "张三丰学号"
_SURELY_MISSING = "\U0010fffd"       # plane-16 private use: no font maps it, so it draws the font's tofu
_FC_TIMEOUT_S = 10.0                 # the first fc-match on a machine may build its cache


class FontError(DomainError):
    """No font able to draw Chinese text could be found or loaded."""
    hint = "reinstall the station (pip install --force-reinstall capture-station) or apt-get install fonts-noto-cjk"


@dataclass(frozen=True)
class FontFace:
    """One face of a font file: `index` picks the face inside a .ttc collection (Noto CJK ships five)."""
    path: Path
    index: int = 0
    bundled: bool = False


def bundled_font_path() -> Path:
    """The font file the install carries (package data of `config`), whether or not it is used."""
    return Path(str(resources.files("config").joinpath("fonts", BUNDLED_NAME)))


def draws_cjk(path: Path, index: int = 0) -> bool:
    """True when the face draws every PROBE_TEXT character as a real glyph (not empty, not its tofu box)."""
    from PIL import ImageFont
    try:
        font = ImageFont.truetype(str(path), 32, index=index)
    except OSError:
        return False
    tofu = _glyph(font, _SURELY_MISSING)
    for char in PROBE_TEXT:
        glyph = _glyph(font, char)
        if glyph is None or glyph == tofu:
            return False
    return True


def _glyph(font: "FreeTypeFont", char: str) -> tuple[tuple[int, int, int, int], bytes] | None:
    """The drawn shape of one character (bounding box and pixels), None when it draws nothing."""
    box = font.getbbox(char)
    if box[2] <= box[0] or box[3] <= box[1]:
        return None
    mask = font.getmask(char)
    pixels = bytes(mask)
    if not any(pixels):
        return None
    return box, pixels


def system_cjk_face() -> FontFace | None:
    """fontconfig's choice for Simplified Chinese sans-serif, if it truly draws Chinese; None otherwise."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        done = subprocess.run([fc_match, "-f", "%{file}\n%{index}", FC_PATTERN], capture_output=True,
                              text=True, timeout=_FC_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.debug("fc-match failed: %s", exc)
        return None
    lines = done.stdout.splitlines()
    if done.returncode != 0 or not lines or not lines[0].strip():
        return None
    path = Path(lines[0].strip())
    index = int(lines[1]) if len(lines) > 1 and lines[1].strip().isdigit() else 0
    if not path.is_file() or not draws_cjk(path, index):
        log.debug("fontconfig offered %s (face %d): no Chinese glyphs", path, index)
        return None
    return FontFace(path, index)


@functools.lru_cache(maxsize=1)
def find_cjk_face() -> FontFace:
    """The system's Chinese font, else the bundled subset. Cached: `find_cjk_face.cache_clear()` to look again."""
    face = system_cjk_face()
    if face is not None:
        log.debug("CJK font: %s (face %d, system)", face.path, face.index)
        return face
    bundled = bundled_font_path()
    if not bundled.is_file() or not draws_cjk(bundled):
        raise FontError(f"没有可显示中文的字体 / no font can draw Chinese (bundled {bundled} missing or broken)")
    log.debug("CJK font: %s (bundled)", bundled)
    return FontFace(bundled, 0, bundled=True)


def find_cjk_font() -> Path:
    """Path of the font file to use for Chinese text (for HTML @font-face or a PDF writer)."""
    return find_cjk_face().path


def cjk_font(size: int) -> "FreeTypeFont":
    """A Pillow font of `size` pixels that draws Chinese names (the face chosen by find_cjk_face)."""
    from PIL import ImageFont
    face = find_cjk_face()
    return ImageFont.truetype(str(face.path), size, index=face.index)
