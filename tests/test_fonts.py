"""The CJK font finder: Chinese names must print, with the system's font or the one the install carries.

Each test points fontconfig (the real fc-match) at a configuration of its own, so the outcome does not
depend on which fonts this machine happens to have.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from station.core import fonts

NAME_AND_LABEL = "张三丰 学号"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_fc_match = pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig's fc-match not installed")


@pytest.fixture(autouse=True)
def fresh_lookup() -> Iterator[None]:
    fonts.find_cjk_face.cache_clear()
    yield
    fonts.find_cjk_face.cache_clear()


def fontconfig_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *font_files: Path) -> Path:
    """A fontconfig setup that knows only `font_files` (copied into a folder of its own)."""
    folder = tmp_path / "fonts"
    folder.mkdir()
    for font in font_files:
        shutil.copy(font, folder / font.name)
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<fontconfig><dir>{folder}</dir>'
                    f'<cachedir>{tmp_path / "cache"}</cachedir></fontconfig>\n', encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    return folder


def render(font: ImageFont.FreeTypeFont, text: str) -> Image.Image:
    box = font.getbbox(text)
    image = Image.new("L", (box[2] + 8, box[3] + 8), 0)
    ImageDraw.Draw(image).text((4, 4), text, fill=255, font=font)
    return image


def assert_draws_chinese(font: ImageFont.FreeTypeFont) -> None:
    """Every character of the sample comes out inked, and unlike the box drawn for a missing glyph."""
    tofu = render(font, "\U0010fffd").tobytes()
    shapes = set()
    for char in NAME_AND_LABEL.replace(" ", ""):
        drawn = render(font, char)
        assert drawn.getbbox() is not None, f"{char} draws nothing"
        assert drawn.tobytes() != tofu, f"{char} draws the missing-glyph box"
        shapes.add(drawn.tobytes())
    assert len(shapes) == len(NAME_AND_LABEL.replace(" ", "")), "different characters drew the same shape"
    line = render(font, NAME_AND_LABEL)
    assert line.width > 5 * font.size, "the line is too narrow for five full-width characters"


def test_the_chosen_font_draws_a_chinese_name_and_label() -> None:
    assert_draws_chinese(fonts.cjk_font(40))
    assert fonts.find_cjk_font().is_file()


def test_pillow_default_font_cannot_so_the_check_means_something() -> None:
    assert not fonts.draws_cjk(fonts.bundled_font_path().with_name("OFL.txt"))   # not a font at all
    if DEJAVU.is_file():
        assert not fonts.draws_cjk(DEJAVU)


@needs_fc_match
def test_fontconfig_finding_nothing_falls_back_to_the_bundled_font(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fontconfig_with(tmp_path, monkeypatch)                       # no font directory content at all
    face = fonts.find_cjk_face()
    assert face.bundled
    assert face.path == fonts.bundled_font_path()
    assert_draws_chinese(fonts.cjk_font(40))


def test_no_fc_match_on_path_falls_back_to_the_bundled_font(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))                   # a PATH with no fc-match on it
    face = fonts.find_cjk_face()
    assert face.bundled and face.path == fonts.bundled_font_path()
    assert_draws_chinese(fonts.cjk_font(24))


@needs_fc_match
@pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVu Sans not installed")
def test_a_system_font_without_chinese_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fontconfig_with(tmp_path, monkeypatch, DEJAVU)               # fc-match answers DejaVu for zh-cn
    face = fonts.find_cjk_face()
    assert face.bundled


@needs_fc_match
def test_a_system_chinese_font_is_preferred_over_the_bundled_one(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    system_copy = fontconfig_with(tmp_path, monkeypatch, fonts.bundled_font_path()) / fonts.BUNDLED_NAME
    face = fonts.find_cjk_face()
    assert not face.bundled
    assert face.path == system_copy
    assert_draws_chinese(fonts.cjk_font(32))


def test_the_bundled_font_ships_with_its_licence() -> None:
    font = fonts.bundled_font_path()
    licence = font.with_name("OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Adobe" in licence
    assert font.stat().st_size < 6 * 1024 * 1024                # a subset, not the 20 MB collection
