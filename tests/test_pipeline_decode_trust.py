"""No pixels from a file that is not a whole picture: truncation (also with its end marker put back: the grey
lower half of issue 11), progressive scans missing, lost sectors, broken PNG chunks, decompression bombs and
shapes no camera makes are refused with a clear DecodeError, through the real decoders and the real CLI.
Whole pictures of every kind the station meets still decode (no false refusal)."""
from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import hostile_images as hi
import pipeline
from config import i18n
from config.formats import load_preset
from pipeline.decode import check_intact, decode_for_analysis, decode_region
from pipeline.errors import CorruptImage, DecodeError, ImageSizeError, TruncatedImage
from pipeline.synthetic import portrait
from workspace_factory import run_cli

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages

PRESET = load_preset("chsi-2017")


def decoders(data: bytes) -> list:  # type: ignore[type-arg]
    """Every way the pipeline reads a frame: the trust check, the analysis decode, the crop decode, the verdict."""
    return [lambda: check_intact(data), lambda: decode_for_analysis(data),
            lambda: decode_region(data, (0, 0, 100, 100), 64), lambda: pipeline.process(data, PRESET)]


def assert_refused(data: bytes, kind: type[DecodeError]) -> None:
    for decode in decoders(data):
        with pytest.raises(kind):
            decode()


def test_a_jpeg_cut_at_55_percent_with_its_end_marker_put_back_is_refused_not_grey_filled() -> None:
    frame = portrait(2, width=2400, height=1600).jpeg
    damaged = hi.grey_fill(frame, 0.55)
    # What the issue saw: Pillow decodes it without a word, the lower part uniformly grey.
    lenient = np.asarray(Image.open(io.BytesIO(damaged)).convert("RGB"))
    assert (lenient[-200:] == 128).all()
    assert_refused(damaged, TruncatedImage)
    with pytest.raises(TruncatedImage) as refused:
        pipeline.process(damaged, PRESET)
    assert refused.value.hint                                   # says what to do: copy again or shoot again


def test_a_cut_copy_is_refused_wherever_it_stops_and_however_it_is_padded() -> None:
    frame = hi.jpeg(3, (800, 600), noise=6)
    start, end = hi.scan_data(frame)
    rng = random.Random(3)
    for at in [start, start + 1, (start + end) // 2, end - 2, end - 1, end]:
        assert_refused(hi.cut(frame, at), TruncatedImage)       # no end marker at all
        if at < end:
            assert_refused(hi.cut(frame, at, hi.EOI), TruncatedImage)
        for fill in (0, 0xFF, None):                             # pre-allocated file, never finished
            with pytest.raises(DecodeError):
                check_intact(hi.padded(frame, at, fill, rng))


def test_a_progressive_jpeg_missing_its_last_scans_is_refused() -> None:
    frame = hi.jpeg(4, (640, 480), progressive=True)
    scans = hi.scan_starts(frame)
    assert len(scans) > 3
    for k in range(1, len(scans)):
        damaged = hi.progressive_cut(frame, k)
        Image.open(io.BytesIO(damaged)).load()                   # Pillow (libjpeg) takes it without a warning
        assert_refused(damaged, TruncatedImage)


def test_lost_sectors_in_the_picture_data_are_refused() -> None:
    frame = hi.jpeg(5, (800, 600), noise=6)
    start, end = hi.scan_data(frame)
    for pos in (start + 100, (start + end) // 2, end - 5000):
        for fill in (0, 0xFF, None):
            with pytest.raises(DecodeError):
                check_intact(hi.sector(frame, pos, 4096, fill, random.Random(pos)))


@pytest.mark.parametrize("width,height", [(50000, 50000), (20000, 12000), (65535, 65535)])
def test_decompression_bombs_are_refused_from_the_header(width: int, height: int) -> None:
    bomb = hi.jpeg_with_size(hi.jpeg(6, (640, 480)), width, height)
    assert_refused(bomb, ImageSizeError)
    with pytest.raises(ImageSizeError, match=f"{width}x{height}"):
        check_intact(hi.png_with_size(hi.png(6), width, height))


@pytest.mark.parametrize("width,height", [(1, 60000), (60000, 1), (5000, 600), (8, 8)])
def test_shapes_no_camera_makes_are_refused(width: int, height: int) -> None:
    assert_refused(hi.strip_shape(width, height), ImageSizeError)


def test_png_damage_is_refused() -> None:
    good = hi.png(7)
    first, iend = hi.png_data(good)
    assert_refused(good[:(first + iend) // 2] + good[iend:], DecodeError)     # cut, IEND put back
    passed_pillow = 0
    for pos in range(first + 8, iend, 97):
        flipped = hi.flip(good, pos, pos % 8)
        with pytest.raises(CorruptImage, match="CRC"):
            check_intact(flipped)
        try:
            Image.open(io.BytesIO(flipped)).load()
            passed_pillow += 1
        except (OSError, SyntaxError):
            pass
    assert passed_pillow > 0                # Pillow's decoder alone would have taken some of them


def test_whole_pictures_of_every_kind_still_decode() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    cases = {
        "baseline": hi.jpeg(8, (900, 600)), "progressive": hi.jpeg(8, (900, 600), progressive=True),
        "grey": hi.jpeg(8, (900, 600), gray=True), "restart markers": hi.jpeg(8, (900, 600), restart_rows=1),
        "EXIF rotated": hi.jpeg(8, (900, 600), exif=exif.tobytes()), "PNG": hi.png(8, (900, 600)),
        "PNG with alpha": hi.png(8, (900, 600), alpha=True),
        "trailing bytes after EOI": hi.jpeg(8, (900, 600)) + b"MPF second picture, ignored",
    }
    for name, data in cases.items():
        facts = check_intact(data)
        decoded = decode_for_analysis(data)
        assert (facts.width, facts.height) == (900, 600), name
        upright = (600, 900) if name == "EXIF rotated" else (900, 600)
        assert decoded.full_size == upright, name
        assert decoded.rgb.dtype == np.uint8 and decoded.rgb.shape[2] == 3, name
        assert decode_region(data, (100, 100, 400, 500), 200).size[1] >= 200, name


def test_the_strict_decode_gives_the_pixels_the_lenient_one_did() -> None:
    """Trust does not change what the analysis sees."""
    frame = portrait(9, width=3000, height=2000).jpeg
    image = Image.open(io.BytesIO(frame))
    image.draft("RGB", (1000, 666))
    lenient = np.asarray(image.convert("RGB")).astype(int)
    strict = decode_for_analysis(frame).rgb.astype(int)
    assert strict.shape == lenient.shape
    assert np.abs(strict - lenient).mean() < 0.5


def test_a_truncated_raw_is_refused(tmp_path: Path) -> None:
    from test_camera_hotfolder import dng
    raw = dng(3)
    assert check_intact(raw).kind == "raw"
    with pytest.raises(DecodeError):
        check_intact(raw[: len(raw) * 3 // 4])


def test_refusals_are_in_chinese_by_default() -> None:
    before = i18n.current_language()
    try:
        i18n.set_language("zh")
        with pytest.raises(TruncatedImage) as cut:
            check_intact(hi.grey_fill(hi.jpeg(1)))
        with pytest.raises(ImageSizeError) as bomb:
            check_intact(hi.jpeg_with_size(hi.jpeg(1), 50000, 50000))
        assert "不完整" in str(cut.value) and "重新" in cut.value.hint
        assert "50000x50000" in str(bomb.value) and "过大" in str(bomb.value)
        i18n.set_language("en")
        with pytest.raises(TruncatedImage, match="incomplete"):
            check_intact(hi.grey_fill(hi.jpeg(1)))
    finally:
        i18n.set_language(before)


def test_crop_refuses_each_hostile_file_with_a_reason_and_still_makes_the_good_photo(tmp_path: Path) -> None:
    """The real CLI (exceptions not swallowed: a ZeroDivisionError on 1x60000 would fail the test)."""
    files = {"strip.jpg": hi.strip_shape(1, 60000), "bomb.jpg": hi.jpeg_with_size(hi.jpeg(2), 50000, 50000),
             "big.jpg": hi.jpeg_with_size(hi.jpeg(2), 20000, 12000), "grey.jpg": hi.grey_fill(portrait(3).jpeg),
             "notes.jpg": b"student list, not a picture\n", "good.jpg": portrait(3).jpeg}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    out = tmp_path / "out"
    result = run_cli(tmp_path / "ws", "crop", "--out", str(out), *(str(tmp_path / n) for n in files))
    assert result.exit_code == 1
    lines = {line.split()[1].rstrip(":"): line for line in result.output.splitlines() if line[:4] in ("OK  ", "FAIL")}
    assert set(lines) == set(files)
    assert lines["good.jpg"].startswith("OK")
    for name in ("strip.jpg", "bomb.jpg", "big.jpg", "grey.jpg", "notes.jpg"):
        assert lines[name].startswith("FAIL"), lines[name]
    assert "60000" in lines["strip.jpg"] and "50000x50000" in lines["bomb.jpg"]
    assert "not an image" in lines["notes.jpg"] and " at 0x" not in lines["notes.jpg"]   # no memory address
    assert [p.name for p in out.iterdir()] == ["good.jpg"]
