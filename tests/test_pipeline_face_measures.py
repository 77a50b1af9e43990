"""Face measures of the second verdict pass (issue 9): head pose in real degrees, gaze with the head turned,
frown lines, hats of every shape (the face parser), hair over the ears. Real labelled photos are read where
they lie (../shared/testdata via the `testdata` fixture); the pose fit is also checked against exact rotations."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import pipeline
from config.formats import load_preset
from pipeline.face_pose import head_pose
from pipeline.face_template import FACE_TEMPLATE

PRESET = load_preset("chsi-2017")


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


@pytest.mark.parametrize("yaw, pitch, roll", [(0, 0, 0), (25, 0, 0), (-12, 8, 0), (18, -15, 6), (-40, 5, -4)])
def test_the_pose_fit_reads_a_known_turn_in_degrees(yaw: float, pitch: float, roll: float) -> None:
    """The template turned by known angles and photographed (orthographic, 120 px per IOD, half a pixel of
    landmark noise) reads back within a degree: the angles are degrees, not a ratio to calibrate."""
    rng = np.random.default_rng(7)
    pts = np.zeros((468, 3))
    model = np.array([xyz for _, xyz in FACE_TEMPLATE])
    seen = model @ _rotation(yaw, pitch, roll).T * 120.0 + [500.0, 400.0, 0.0]
    for k, (index, _) in enumerate(FACE_TEMPLATE):
        pts[index, :2] = seen[k, :2] + rng.normal(0, 0.5, 2)
    pose = head_pose(pts, roll)
    assert pose["yaw_deg"] == pytest.approx(yaw, abs=1.0)
    assert pose["pitch_deg"] == pytest.approx(pitch, abs=1.0)
    assert pose["pose_fit_rms"] < 0.01


def _result(testdata: Path, rel: str) -> pipeline.Result:
    return pipeline.process((testdata / rel).read_bytes(), PRESET, render=False)


def _named(result: pipeline.Result) -> dict[str, str]:
    """code -> level of every reason on the result (refusals win over warnings)."""
    out = {w.code: "warn" for w in result.warnings}
    out.update({r.code: "refuse" for r in result.reasons})
    return out


def test_head_turn_reads_the_labelled_angles_on_real_faces(testdata: Path) -> None:
    """F15 is labelled ~25 deg turned, F17 a near-profile, G05 a slight turn, G01 frontal."""
    yaw = {name: abs(_result(testdata, f"faces/{name}").measures["yaw_deg"])
           for name in ("F15_fp_jolie.jpg", "F17_3d_car_profile.jpg", "G05_of_lennon2.jpg", "G01_fp_paul_rudd.jpg")}
    assert yaw["F15_fp_jolie.jpg"] >= 17
    assert yaw["F17_3d_car_profile.jpg"] >= 25
    assert 1 <= yaw["G05_of_lennon2.jpg"] < PRESET.checks.yaw_deg.warn
    assert yaw["G01_fp_paul_rudd.jpg"] < 3


def test_frontal_faces_read_little_pitch(testdata: Path) -> None:
    """The old pitch spread -14..+5 on frontal faces; the template fit keeps them within 15 degrees (the
    refusal is at 20)."""
    for name in ("G01_fp_paul_rudd.jpg", "G07_cf_face3.jpg", "G09_cf_002A.jpg", "G11_pm_some_guy.jpg",
                 "G15_fa_sheldon1.png"):
        assert abs(_result(testdata, f"faces/{name}").measures["pitch_deg"]) < 15, name


def test_eyes_on_the_lens_with_the_head_turned_are_not_a_gaze_flaw(testdata: Path) -> None:
    result = _result(testdata, "faces/F15_fp_jolie.jpg")
    assert result.measures["yaw_deg"] < -17
    assert abs(result.measures["gaze_deg"]) < PRESET.checks.gaze_deg.warn
    assert "gaze" not in _named(result)


def test_a_frown_is_refused_and_a_furrowed_brow_on_a_calm_face_is_not_named(testdata: Path) -> None:
    frown = _result(testdata, "faces/F23_fa_angry.jpg")
    reason = next(r for r in frown.reasons if r.code == "expression")
    assert reason.measure == "frown" and reason.value > PRESET.checks.frown.refuse
    furrowed = _result(testdata, "faces/G07_cf_face3.jpg")         # labelled good, lines between the brows
    assert furrowed.measures["frown"] > 0.75 and "expression" not in _named(furrowed)
    for calm in ("G01_fp_paul_rudd.jpg", "G11_pm_some_guy.jpg", "G15_fa_sheldon1.png"):
        assert "expression" not in _named(_result(testdata, f"faces/{calm}")), calm


def test_hats_of_every_shape_are_refused_by_the_face_parser_and_hair_is_not(testdata: Path) -> None:
    """Caps, a beanie, a striped bucket hat, a black cowboy hat and a hijab (colour measures named 5 of these 8):
    the face parser's hat share refuses each; long hair, a fringe and curls stay quiet. All in the tuning part."""
    for hat in ("F_D039_fm_44.jpg", "F_D040_fm_391.jpg", "F_D041_fm_295.jpg", "F_D043_fm_187.jpg",
                "F_D044_fm_98.jpg", "F_D045_fm_386.jpg", "F_D047_fm_24.jpg", "F_D048_ff_mideast.jpg"):
        reason = next(r for r in _result(testdata, f"faces2/{hat}").reasons if r.code == "headwear")
        assert reason.measure == "hat_share" and reason.value > PRESET.checks.headwear_parsed.refuse, hat
    for hair in ("faces/G05_of_lennon2.jpg", "faces/G07_cf_face3.jpg", "portraits/df_img12_aniston.jpg",
                 "portraits/hv_test4.jpg"):
        assert "headwear" not in _named(_result(testdata, hair)), hair


def test_hair_over_the_ears_is_warned_and_visible_ears_are_not(testdata: Path) -> None:
    """Ears under long hair are warned; ears the face parser sees are not, even where dark hair hangs behind
    them (G_D019, hv_test2: the tips show through), a beard fills the box beside the cheek (F_D067) or the
    hair is long but tucked behind the ears."""
    for covered in ("portraits/df_img12_aniston.jpg", "faces/G05_of_lennon2.jpg", "faces2/F_D062_dh_lusak_zam1.jpg"):
        assert _named(_result(testdata, covered)).get("ears_hidden") == "warn", covered
    for visible in ("frames/df_img13_zuckerberg_blue6000_iod600.jpg", "portraits/df_img33_damon.jpg",
                    "faces/G01_fp_paul_rudd.jpg", "faces/G11_pm_some_guy.jpg", "faces2/G_D019_fm_3.jpg",
                    "faces2/F_D067_ish_eyes_closed.jpg", "portraits/hv_test2.jpg"):
        assert "ears_hidden" not in _named(_result(testdata, visible)), visible
    assert _result(testdata, "faces2/G_D019_fm_3.jpg").measures["hair_over_ears"] > PRESET.checks.hair_over_ears.warn


# the photos below are all in the TUNING part of the real sets (never bench/verdict_holdout.tsv)
def test_a_cap_over_the_forehead_is_refused_and_bare_foreheads_are_not(testdata: Path) -> None:
    """A cap over the forehead: the parser refuses it (the forehead-cover measure sees it too); bare foreheads
    (short hair, bald, a receding hairline) stay quiet."""
    for cap in ("F_D040_fm_391.jpg", "F_D041_fm_295.jpg", "F_D043_fm_187.jpg", "F_D047_fm_24.jpg"):
        result = _result(testdata, f"faces2/{cap}")
        assert any(r.code == "headwear" and r.measure == "hat_share" for r in result.reasons), cap
        assert result.measures["forehead_hat"] > PRESET.checks.headwear_cover.warn, cap
    for bare in ("faces/G01_fp_paul_rudd.jpg", "faces2/G_D009_fx_test2.jpg", "faces2/G_D001_df_damon30.jpg",
                 "faces2/G_D017_fm_122.jpg", "faces2/G_D016_fm_15.jpg"):
        named = _named(_result(testdata, bare))
        assert "headwear" not in named and "hair_over_face" not in named, bare


def test_glasses_are_seen_by_the_face_parser_and_bare_eyes_are_not(testdata: Path) -> None:
    for name in ("faces2/F_D024_yale_s04glasses.png", "faces2/F_D031_fm_264.jpg", "faces2/F_D038_fm_109.jpg"):
        result = _result(testdata, name)
        assert result.measures["eyeglasses_share"] > PRESET.checks.glasses_parsed.refuse, name
        assert "glasses" in {r.code for r in result.reasons}, name
    for name in ("faces/G01_fp_paul_rudd.jpg", "faces2/G_D001_df_damon30.jpg", "faces2/F_D064_dh_eyes_closed.jpg"):
        assert _result(testdata, name).measures["eyeglasses_share"] < PRESET.checks.glasses_parsed.warn, name


def test_a_fringe_over_the_forehead_is_warned_as_hair(testdata: Path) -> None:
    fringe = _result(testdata, "faces2/F_D095_yale_s11normal.png")
    warning = next(w for w in fringe.warnings if w.code == "hair_over_face")
    assert warning.measure == "forehead_hair" and warning.value > PRESET.checks.hair_over_brows.warn
    assert "headwear" not in _named(fringe)


def test_half_rim_glasses_are_named_by_their_bridge(testdata: Path) -> None:
    """Frames whose lower rims are thin or missing (the bridge alone is strong) are glasses too."""
    for name in ("F_D029_dh_wawa_otw.png", "F_D038_fm_109.jpg", "F_D027_fx_test.jpg"):
        result = _result(testdata, f"faces2/{name}")
        assert "glasses" in _named(result), name
        assert result.measures["glasses_rims"] < PRESET.checks.glasses.warn < result.measures["glasses"], name


def test_a_laugh_names_the_expression_beside_the_open_mouth(testdata: Path) -> None:
    for name in ("F_D069_yale_s10surprised.png", "F_D028_df_pichai25.jpg"):
        named = _named(_result(testdata, f"faces2/{name}"))
        assert named.get("mouth_open") == "refuse" and "expression" in named, name


def test_a_wink_and_a_toothy_grin_are_named_as_expression(testdata: Path) -> None:
    """A wink (one eye shut, the other open) and a grin with lifted mouth corners are not 表情自然; both shut
    eyes are eyes_closed only, and level-eyed, closed-mouth good faces stay quiet. All in the tuning part."""
    def by(result: pipeline.Result, measure: str) -> list:
        return [r for r in list(result.reasons) + list(result.warnings) if r.code == "expression" and r.measure == measure]

    wink = _result(testdata, "faces2/F_D057_yale_s04wink.png")
    assert [r.level for r in by(wink, "eye_open_ratio")] == ["warn"]
    assert _named(wink).get("eyes_closed") == "refuse"
    grin = _result(testdata, "faces2/F_D087_fm_157.jpg")
    assert [r.level for r in by(grin, "mouth_corner_lift")] == ["warn"]
    assert not by(_result(testdata, "faces2/F_D060_dh_wawa_zam.png"), "eye_open_ratio")     # both eyes shut
    for calm in ("faces2/G_D015_fm_469.jpg", "faces2/G_D001_df_damon30.jpg", "faces/G03_of_carell.jpg",
                 "faces/G15_fa_sheldon1.png"):
        assert "expression" not in _named(_result(testdata, calm)), calm


def test_a_slight_turn_is_warned_and_a_clear_turn_refused(testdata: Path) -> None:
    """Turns of 12-17 degrees are labelled both ways on real photos (G_D004 and G_D009 look at the lens and are
    labelled good): the operator decides. Clear turns are refused; a selfie from below is not a flaw of its own.
    All in the tuning part."""
    for slight in ("G_D004_df_dorsey61.jpg", "G_D009_fx_test2.jpg"):
        result = _result(testdata, f"faces2/{slight}")
        assert _named(result).get("head_turned") == "warn", slight
        assert PRESET.checks.yaw_deg.warn < abs(result.measures["yaw_deg"]) < PRESET.checks.yaw_deg.refuse, slight
    for turned in ("F_D083_ff_latino.jpg", "F_D084_fr_johnsnow.jpg", "F_D081_dg_hp6.jpg"):
        assert _named(_result(testdata, f"faces2/{turned}")).get("head_turned") == "refuse", turned
    assert "head_turned" not in _named(_result(testdata, "faces2/G_D010_fm_468.jpg"))


def test_locks_over_the_eyes_and_cheeks_are_warned_as_hair_over_the_face(testdata: Path) -> None:
    """Curls hanging over the temples and cheeks (no fringe: the forehead measure reads 0) are seen by the face
    parser; long hair falling beside the face, a fringe above the eyes and short hair are not. Tuning part."""
    for locks in ("F_D096_fm_340.jpg", "F_D094_fr_john2.jpg"):
        result = _result(testdata, f"faces2/{locks}")
        warning = next(w for w in result.warnings if w.code == "hair_over_face")
        assert warning.measure == "face_hair" and warning.value > PRESET.checks.hair_over_face_parsed.warn, locks
    for name in ("faces2/G_D019_fm_3.jpg", "faces/G05_of_lennon2.jpg", "faces/G01_fp_paul_rudd.jpg",
                 "faces2/G_D016_fm_15.jpg"):
        assert _result(testdata, name).measures["face_hair"] < PRESET.checks.hair_over_face_parsed.warn, name



def test_a_drawn_face_the_parser_cannot_read_is_no_hair_over_the_face() -> None:
    """On some generated faces (the demo's students) the parser calls the whole face hair and sees no nose:
    not a face it has read, so not hair over the face."""
    from pipeline.synthetic import identity_features, portrait
    for seed in (6, 18):
        result = pipeline.process(portrait(seed, features=identity_features(seed)).jpeg, PRESET, render=False)
        assert "hair_over_face" not in _named(result), seed


def test_a_white_collar_or_bright_skin_is_no_jewellery(testdata: Path) -> None:
    """The bright-pixel jewellery measure fires on white collars and glare (G_D009, F_D028, F_D057 read >= 0.96);
    where the face parser sees no earring or necklace it is not a reason. Tuning part."""
    for name in ("G_D009_fx_test2.jpg", "F_D028_df_pichai25.jpg", "F_D057_yale_s04wink.png"):
        result = _result(testdata, f"faces2/{name}")
        assert result.measures["jewellery"] > PRESET.checks.jewellery.warn, name
        assert result.measures["jewellery_cells"] < PRESET.checks.jewellery_seen_cells, name
        assert "jewellery" not in _named(result), name


def test_the_face_finders_quick_area_shrink_gives_opencvs_pixels(testdata: Path) -> None:
    """The short-range pass shrinks the whole frame (1500 -> 128) through an integral image instead of
    OpenCV's area filter: the picture it sees is OpenCV's to within one level, so the face it finds, and
    the mesh started from it, stay where they were."""
    import cv2
    from pipeline.decode import decode_for_analysis
    from pipeline.faces import _area_resize
    frames = sorted((testdata / "frames").glob("*.jpg"))[:3]
    pictures = [decode_for_analysis(p.read_bytes()).rgb for p in frames]
    pictures.append(np.random.default_rng(5).integers(0, 256, (997, 1503, 3), dtype=np.uint8))
    for rgb in pictures:
        for size in ((128, 85), (192, 128), (61, 40)):
            ours, theirs = _area_resize(rgb, size), cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            off = np.abs(ours.astype(int) - theirs.astype(int))
            assert ours.shape == theirs.shape and off.max() <= 1 and np.mean(off > 0) < 0.01, size
