"""The registration-format pipeline on real portraits, DSLR-like frames and generated faces.

Real decoding (Pillow, LibRaw), the real face models, the real CLI. Each refused fixture has the reason a
person looking at the frame agrees with (checked by eye on a contact sheet when the table was written).
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import pipeline
from config.formats import load_preset
from pipeline.decode import decode_for_analysis
from pipeline.errors import DecodeError
from pipeline.synthetic import portrait
from station.cli.main import cli

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages

PRESET = load_preset("chsi-2017")

# frames/ fixtures the pipeline refuses, and why (looked at: every one is visibly so, except where noted).
# Roll is refused beyond ISO/IEC 19794-5's 8 degrees (4-6 degree tilts pass since issue 9).
EXPECTED_REFUSALS = {
    "df_img11_jolie": {"head_tilted"},            # head clearly tilted (~15°)
    "df_img13_zuckerberg": {"clothing_colour"},   # blue t-shirt (notice 001 forbids blue tops)
    "df_img22_mayer": {"mouth_open"},             # toothy smile
    "df_img24_pichai_glasses": {"glasses", "mouth_open"},
    "df_img25_pichai_glasses": {"glasses", "mouth_open"},
    "df_img28_perry": {"mouth_open"},             # toothy smile
    "df_img39_clooney": {"mouth_open"},           # broad toothy smile
    "df_img51_johansson": {"mouth_open"},         # lips parted over the teeth; ragged cut-out, no shoulders
    "df_img61_dorsey": {"clothing_like_background"},   # dark top on a dark backdrop (its ~14.5° turn: a warning)
    "fr_alex_lacamoire": {"blurred"},             # small source upscaled: visibly soft
    "fr_biden": {"head_tilted"},                  # ~12°
    "fr_obama": {"mouth_open"},                   # broad smile showing teeth
    "hv_test1": {"too_close"},                    # head low and large: no crop holds crown, eyes and chin
    "hv_test3": {"too_close"},                    # fits the bands only on their edges: no crop keeps the margin
    "hv_test4": {"too_close"},                    # hair bun makes the head too tall for the frame
    "skimage_astronaut": {"mouth_open"},          # toothy smile
}

# turns of 12-17° are labelled both ways on real photos (the same Dorsey photo is "good" in faces2): a warning,
# the operator decides (refused beyond 17°, see config/presets/chsi-2017.toml)
EXPECTED_WARNINGS = {
    "df_img61_dorsey": {"head_turned"},           # measured yaw ~14.5°: a slight turn the eye barely sees
    "fr_lin_manuel_miranda": {"head_turned"},     # ~14.6°, turned towards the microphone
}


def frames(testdata: Path) -> list[Path]:
    return sorted((testdata / "frames").glob("*_blue6000_iod600.jpg"))


def stem(path: Path) -> str:
    return path.name.replace("_blue6000_iod600.jpg", "")


def test_every_frame_makes_a_valid_photo_or_is_refused_for_its_known_reason(testdata: Path) -> None:
    seen = set()
    for path in frames(testdata):
        name = stem(path)
        seen.add(name)
        result = pipeline.process(path.read_bytes(), PRESET)
        codes = {r.code for r in result.reasons}
        assert EXPECTED_WARNINGS.get(name, set()) <= {w.code for w in result.warnings}, name
        if name in EXPECTED_REFUSALS:
            assert not result.ok and result.photo is None, name
            assert EXPECTED_REFUSALS[name] <= codes, (name, codes)
            continue
        assert result.ok, (name, [r.en for r in result.reasons])
        validation = pipeline.validate(result.photo, PRESET)
        assert validation.ok, (name, [r.to_dict() for r in validation.failures()])
        m = result.measures
        assert PRESET.geometry.crown_y.contains(m["crown_y"]) and PRESET.geometry.eye_y.contains(m["eye_y"])
    assert len(seen) == 29 and set(EXPECTED_REFUSALS) <= seen


@pytest.mark.parametrize("name", ["multi_df_couple.jpg", "multi_df_selfie_many.jpg", "multi_fr_two_people.jpg"])
def test_several_faces_are_refused(testdata: Path, name: str) -> None:
    result = pipeline.process((testdata / "portraits" / name).read_bytes(), PRESET)
    assert not result.ok and result.reasons[0].code == "multiple_faces"
    assert "张人脸" in result.reasons[0].zh


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_generated_faces_land_where_the_plan_says(seed: int) -> None:
    """Crown, eye line and face width re-measured on the finished photo sit within 5 px of the plan, and
    the plan aims inside every band."""
    frame = portrait(seed)
    result = pipeline.process(frame.jpeg, PRESET)
    assert result.ok, [r.en for r in result.reasons]
    plan = result.measures
    from pipeline.analyse import analyse
    out = analyse(decode_for_analysis(result.photo, max_side=640), PRESET)
    assert abs(out.crown_y - plan["crown_y"]) <= 5
    assert abs(out.eye_mid[1] - plan["eye_y"]) <= 5
    assert abs(out.face_width - plan["face_width"]) <= 5
    assert abs(out.eye_mid[0] - PRESET.geometry.centre_x) <= 5
    g = PRESET.geometry
    assert g.crown_y.contains(plan["crown_y"]) and g.eye_y.contains(plan["eye_y"])
    assert g.face_width.contains(plan["face_width"])
    # the crop box is in the frame's pixels and keeps the 3:4 shape
    left, top, right, bottom = result.crop_box
    assert 0 <= left < right <= frame.width and 0 <= top < bottom <= frame.height
    assert abs((right - left) / (bottom - top) - 0.75) < 0.01


def test_the_finished_photo_is_resampled_as_sharp_as_lanczos(testdata: Path) -> None:
    """A JPEG's crop (decoded at the DCT scale that keeps the photo's rows: 1-2x its size) is resampled fast,
    and keeps Lanczos' sharpness and pixels; a crop several times the size (a PNG, a RAW) still gets Lanczos."""
    import cv2
    from pipeline.analyse import analyse
    from pipeline.decode import decode_region
    from pipeline.plan import plan_crop
    from pipeline.render import resample
    data = next(iter(sorted((testdata / "frames").glob("*.jpg")))).read_bytes()
    decoded = decode_for_analysis(data)
    plan = plan_crop(analyse(decoded, PRESET), decoded.full_size, PRESET)
    region = decode_region(data, plan.box, 640, decoded=decoded).convert("RGB")
    assert 1.2 < region.height / 640 < 2

    def sharpness(a: np.ndarray) -> float:
        g = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return float(np.mean(np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))))
    lanczos = np.asarray(region.resize((480, 640), Image.Resampling.LANCZOS)).astype(np.float64)
    fast = np.asarray(resample(region, (480, 640)))
    assert fast.shape == (640, 480, 3)
    assert 0.98 <= sharpness(fast) / sharpness(lanczos.astype(np.uint8)) <= 1.03
    assert 10 * np.log10(255 ** 2 / np.mean((fast - lanczos) ** 2)) >= 48          # PSNR, dB
    big = region.resize((region.width * 3, region.height * 3))
    assert np.array_equal(np.asarray(resample(big, (480, 640))),
                          np.asarray(big.resize((480, 640), Image.Resampling.LANCZOS, reducing_gap=3.0)))


@pytest.mark.parametrize("flaw, code", [
    ("eyes_closed", "eyes_closed"), ("tilted", "head_tilted"), ("too_close", "too_close"),
    ("blue_shirt", "clothing_like_background"), ("busy_background", "background_not_uniform"),
    ("off_centre", "off_centre"), ("two_faces", "multiple_faces")])
def test_flawed_frames_are_refused_with_the_right_reason(flaw: str, code: str) -> None:
    for seed in (11, 12):
        result = pipeline.process(portrait(seed, flaw=flaw).jpeg, PRESET)
        assert not result.ok and result.photo is None
        assert code in {r.code for r in result.reasons}, (seed, [r.en for r in result.reasons])


def test_tilt_reason_names_the_angle_in_both_languages() -> None:
    result = pipeline.process(portrait(21, flaw="tilted").jpeg, PRESET)
    tilt = next(r for r in result.reasons if r.code == "head_tilted")
    assert tilt.zh.startswith("头部倾斜 ") and tilt.zh.endswith("°") and tilt.en.startswith("head tilted ")
    assert abs(result.measures["roll_deg"]) >= 5


def test_finished_photo_meets_the_file_rules() -> None:
    result = pipeline.process(portrait(7).jpeg, PRESET)
    image = Image.open(io.BytesIO(result.photo))
    assert image.format == "JPEG" and image.size == (480, 640) and image.mode == "RGB"
    assert tuple(round(float(v)) for v in image.info["dpi"]) == (300, 300)
    assert float(image.getexif()[0x011A]) == 300
    assert not image.info.get("progressive") and not image.info.get("progression")
    from pipeline.conformance import estimate_quality
    assert estimate_quality(image) >= PRESET.file.min_quality
    assert 20 * 1024 <= len(result.photo) <= 40 * 1024


def test_validate_fails_a_photo_with_the_wrong_size_and_dpi() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (300, 400), (100, 197, 255)).save(buf, "JPEG", quality=90, progressive=True)
    validation = pipeline.validate(buf.getvalue(), PRESET)
    failed = {r.rule for r in validation.failures()}
    assert not validation.ok and {"pixels", "dpi", "baseline"} <= failed


def test_exif_orientation_gives_an_upright_frame() -> None:
    """A camera turned to portrait writes landscape pixels plus orientation 6: the verdict must be upright."""
    frame = portrait(3, width=1600, height=2133)
    upright = Image.open(io.BytesIO(frame.jpeg))
    sideways = upright.transpose(Image.Transpose.ROTATE_90)     # what the sensor recorded
    exif = Image.Exif()
    exif[0x0112] = 6                                          # "rotate 90 CW to view"
    buf = io.BytesIO()
    sideways.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    decoded = decode_for_analysis(buf.getvalue())
    assert decoded.full_size == (1600, 2133)
    assert decoded.rgb.shape[0] > decoded.rgb.shape[1]
    result = pipeline.process(buf.getvalue(), PRESET)
    assert result.ok, [r.en for r in result.reasons]
    assert abs(result.measures["roll_deg"]) < 2


def test_truncated_and_garbage_files_give_a_clear_decode_error() -> None:
    data = portrait(1).jpeg
    with pytest.raises(DecodeError, match="truncated|damaged"):
        pipeline.process(data[: len(data) // 3], PRESET)
    with pytest.raises(DecodeError, match="not an image"):
        pipeline.process(b"this is a roster, not a photo", PRESET)
    with pytest.raises(DecodeError, match="empty"):
        pipeline.process(b"", PRESET)


def _bayer_dng(tmp: Path, rgb: np.ndarray) -> bytes:
    """A genuine DNG: the picture mosaicked through an RGGB Bayer filter, 12-bit, written by pidng."""
    from pidng.core import RAW2DNG, DNGTags, Tag
    from pidng.defs import CalibrationIlluminant, CFAPattern, DNGVersion, Orientation, PhotometricInterpretation
    h, w = rgb.shape[:2]
    h, w = h - h % 2, w - w % 2
    lin = (rgb[:h, :w].astype(np.float64) / 255.0) ** 2.2 * 4095
    mosaic = np.zeros((h, w), np.uint16)
    mosaic[0::2, 0::2] = lin[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = lin[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = lin[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = lin[1::2, 1::2, 2]
    t = DNGTags()
    for tag, value in [(Tag.ImageWidth, w), (Tag.ImageLength, h), (Tag.TileWidth, w), (Tag.TileLength, h),
                       (Tag.Orientation, Orientation.Horizontal),
                       (Tag.PhotometricInterpretation, PhotometricInterpretation.Color_Filter_Array),
                       (Tag.SamplesPerPixel, 1), (Tag.BitsPerSample, 12), (Tag.CFARepeatPatternDim, [2, 2]),
                       (Tag.CFAPattern, CFAPattern.RGGB), (Tag.BlackLevel, 0), (Tag.WhiteLevel, 4095),
                       (Tag.ColorMatrix1, [[1, 1], [0, 1], [0, 1], [0, 1], [1, 1], [0, 1], [0, 1], [0, 1], [1, 1]]),
                       (Tag.CalibrationIlluminant1, CalibrationIlluminant.D65),
                       (Tag.AsShotNeutral, [[1, 1], [1, 1], [1, 1]]), (Tag.Make, "Test"), (Tag.Model, "Bayer"),
                       (Tag.DNGVersion, DNGVersion.V1_4), (Tag.DNGBackwardVersion, DNGVersion.V1_2)]:
        t.set(tag, value)
    writer = RAW2DNG()
    writer.options(t, path=str(tmp), compress=False)
    writer.convert(mosaic, filename="frame")
    return (tmp / "frame.dng").read_bytes()


def test_a_real_dng_decodes_and_goes_through_the_pipeline(tmp_path: Path) -> None:
    pytest.importorskip("pidng")
    frame = portrait(5, width=1200, height=900)
    rgb = np.asarray(Image.open(io.BytesIO(frame.jpeg)).convert("RGB"))
    data = _bayer_dng(tmp_path, rgb)
    decoded = decode_for_analysis(data)
    assert decoded.kind == "raw" and decoded.full_size == (1200, 900)
    result = pipeline.process(data, PRESET, render=False)
    assert result.measures.get("faces") == 1.0     # the demosaiced picture still shows one face


def test_a_dng_without_a_preview_is_analysed_small_and_still_makes_a_valid_photo(tmp_path: Path) -> None:
    """No embedded preview: the half-size demosaic is brought to the analysis size (not analysed at
    3000x2000), and the crop is cut from a half-size demosaic when it keeps its 640 rows there."""
    pytest.importorskip("pidng")
    frame = portrait(3, width=3000, height=2000)
    rgb = np.asarray(Image.open(io.BytesIO(frame.jpeg)).convert("RGB"))
    data = _bayer_dng(tmp_path, rgb)
    decoded = decode_for_analysis(data)
    assert max(decoded.rgb.shape[:2]) <= 1500 and decoded.full_size == (3000, 2000)
    assert abs(decoded.scale - 3000 / decoded.rgb.shape[1]) < 1e-6
    result = pipeline.process(data, PRESET, render_refused=True)
    assert result.photo is not None, [r.en for r in result.reasons]
    assert pipeline.validate(result.photo, PRESET).ok
    from pipeline.analyse import analyse      # the half-size cut lands where the plan said, as a JPEG's would
    out = analyse(decode_for_analysis(result.photo, max_side=640), PRESET)
    assert abs(out.eye_mid[1] - result.measures["eye_y"]) <= 6 and abs(out.crown_y - result.measures["crown_y"]) <= 6


def test_crop_and_check_commands(tmp_path: Path, testdata: Path) -> None:
    good = tmp_path / "student.jpg"
    good.write_bytes(portrait(8).jpeg)
    bad = tmp_path / "closed.jpg"
    bad.write_bytes(portrait(8, flaw="eyes_closed").jpeg)
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(cli, ["crop", str(good), str(bad), "--out", str(out), "--json"])
    assert result.exit_code == 1, result.output            # one input was refused
    rows = json.loads(result.stdout)
    assert [r["ok"] for r in rows] == [True, False]
    assert rows[0]["output"] == str(out / "student.jpg") and rows[1]["output"] is None
    assert rows[1]["reasons"][0]["code"] == "eyes_closed"
    for key in ("crop_box", "crown_y", "eye_y", "face_width", "roll_deg"):
        assert rows[0][key] is not None
    # again: the first photo is kept, the new one gets a suffix
    again = runner.invoke(cli, ["crop", str(good), "--out", str(out), "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)[0]["output"].endswith("student-2.jpg")
    checked = runner.invoke(cli, ["check", str(out / "student.jpg"), "--json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout)[0]["ok"] is True
    failed = runner.invoke(cli, ["check", str(bad)])
    assert failed.exit_code == 1 and "FAIL" in failed.output and "pixels" in failed.output


def test_an_override_renders_the_verdicts_own_crop_box_into_the_same_photo() -> None:
    """Accepting a refused take with an override makes its photo from the verdict's crop box (no second
    analysis): the bytes are the ones a full re-run would have made."""
    frame = portrait(9, flaw="eyes_closed").jpeg
    result = pipeline.process(frame, PRESET, render_refused=True)
    assert not result.ok and result.photo is not None and result.crop_box is not None
    photo, made = pipeline.render_box(frame, result.crop_box, PRESET)
    assert photo == result.photo and made["jpeg_quality"] == result.measures["jpeg_quality"]
    assert pipeline.validate(photo, PRESET).ok


def test_the_fast_colour_distance_is_numpys_to_the_bit() -> None:
    from pipeline.colour import lab_distance
    rng = np.random.default_rng(3)
    lab = (rng.random((120, 90, 3)) * [100, 200, 200] - [0, 100, 100]).astype(np.float32)
    for ref in (np.array([52.5, -3.25, -21.0], np.float32), np.array([40.1, 7.7, -0.3]), np.median(lab[:9, :9].reshape(-1, 3), 0)):
        assert np.array_equal(lab_distance(lab, ref), np.linalg.norm(lab - ref, axis=2))
        assert np.array_equal(lab_distance(lab.reshape(-1, 3), ref), np.linalg.norm(lab.reshape(-1, 3) - ref, axis=1))


def test_the_fast_pixel_pick_is_numpys_boolean_index() -> None:
    """`pixels_where` (np.compress over pixel rows) returns what picture[mask] does: the same pixels in the
    same order, from a box cut out of a larger picture (not contiguous) and from a list of pixels."""
    from pipeline.colour import pixels_where
    rng = np.random.default_rng(5)
    picture = rng.integers(0, 256, (80, 120, 3), dtype=np.uint8)
    box = picture[10:70, 25:100]
    mask = (rng.random(box.shape[:2]) < 0.4).astype(np.uint8)        # a 0/1 mask, as cv2 draws them
    assert np.array_equal(pixels_where(box, mask), box[mask.astype(bool)])
    lab = rng.random((500, 3), dtype=np.float32)
    keep = lab[:, 0] > 0.5
    assert np.array_equal(pixels_where(lab, keep), lab[keep])
    assert pixels_where(lab, np.zeros(500, bool)).shape == (0, 3)


def test_the_photo_gets_the_highest_quality_that_fits_the_size_window(testdata: Path) -> None:
    """The quality search (a bracket narrowed by guesses) lands where walking one step at a time would: the
    photo fits the window and one step higher would not; guesses from the last photo's quality do not change it."""
    from pipeline import render
    limit = PRESET.file.max_kb * 1024
    for path in sorted((testdata / "frames").glob("*.jpg"))[:4]:
        result = pipeline.process(path.read_bytes(), PRESET, render_refused=True)
        q = int(result.measures["jpeg_quality"])
        assert len(result.photo) <= limit
        image = Image.open(io.BytesIO(result.photo)).convert("RGB")
        region = pipeline.decode.decode_region(path.read_bytes(), result.crop_box, PRESET.file.height,
                                               decoded=result.decoded)
        resampled = render.resample(render.to_srgb(region, None), (PRESET.file.width, PRESET.file.height))
        assert image.size == resampled.size
        if q < 95:
            assert len(render.encode(resampled, q + 1, PRESET.file.dpi)) > limit, path.name
        assert len(render.encode(resampled, q, PRESET.file.dpi)) == len(result.photo)
