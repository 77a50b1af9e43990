"""Face likeness on real photos: the same person matches, different people do not, at the preset's thresholds.

Real photos only for recognition claims (the team fixtures in ../shared/testdata, labelled in
tests/face_identities.py); the real dlib detector and landmarks, the real ResNet weights from the installed
package. Generated pictures appear only where no face is the point.
"""
from __future__ import annotations

import io
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from config.formats import load_preset
from face_identities import PHOTOS, SEVERAL_FACES, comparable, frame_source
from pipeline import likeness
from pipeline.decode import decode_for_analysis
from pipeline.likeness import Embedding, FaceIndex, LikenessError, NoFace, distance, embed, match

LIKENESS = load_preset("chsi-2017").likeness


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


@pytest.fixture(scope="module")
def photos(testdata: Path) -> dict[str, Embedding]:
    """Every labelled single-face photo, embedded from its file bytes."""
    out = {}
    for rel in PHOTOS:
        e = embed((testdata / rel).read_bytes())
        assert e, f"{rel}: {e.reason.en}"
        out[rel] = e
    return out


def _pairs(photos: dict[str, Embedding]) -> tuple[list[tuple[str, str, float]], list[tuple[str, str, float]]]:
    same, diff = [], []
    for (a, ea), (b, eb) in itertools.combinations(photos.items(), 2):
        if comparable(PHOTOS[a], PHOTOS[b]):
            (same if PHOTOS[a] == PHOTOS[b] else diff).append((a, b, distance(ea, eb)))
    return same, diff


def test_same_person_in_two_different_photos_matches(photos: dict[str, Embedding]) -> None:
    same, _ = _pairs(photos)
    people = {PHOTOS[a] for a, _, _ in same}
    assert {"jolie", "aniston", "pichai", "damon", "johansson"} <= people
    far = [(a, b, round(d, 3)) for a, b, d in same if d > LIKENESS.enrolment_warn_distance]
    assert not far, f"same person beyond enrolment_warn_distance: {far}"


def test_different_people_do_not_match(photos: dict[str, Embedding]) -> None:
    _, diff = _pairs(photos)
    assert len(diff) > 1000
    within = lambda t: [(a, b) for a, b, d in diff if d <= t]  # noqa: E731
    assert len(within(LIKENESS.enrolment_warn_distance)) <= 0.01 * len(diff)
    # the strict 1:N threshold: at most the generated look-alikes (hv_test*), never two real people
    assert all("hv_test" in a and "hv_test" in b for a, b in within(LIKENESS.same_face_distance))


def test_a_take_matches_its_own_portrait_as_the_same_face(testdata: Path, photos: dict[str, Embedding]) -> None:
    """The same picture re-shot as a 6000x4000 frame: the "same face under another code" case."""
    for name in ("df_img11_jolie", "df_img24_pichai_glasses", "hv_test3"):
        frame = testdata / "frames" / f"{name}_blue6000_iod600.jpg"
        take = embed(frame.read_bytes())
        assert take, take
        assert 2000 < (take.box[0] + take.box[2]) / 2 < 4000          # full-frame pixels, not the small decode
        gallery = FaceIndex((k, e) for k, e in photos.items())
        hits = match(take, gallery, LIKENESS.same_face_distance)
        assert hits and hits[0].key == frame_source(frame), (name, hits[:3])


def test_the_verdicts_own_landmarks_give_the_takes_embedding(testdata: Path, photos: dict[str, Embedding]) -> None:
    """The station embeds a take from the verdict's analysis picture and face mesh (no second decode or
    detector): the same face as from the file, matched to its own portrait, boxed in full-frame pixels."""
    import pipeline
    from pipeline.likeness import embed_mesh
    frame = testdata / "frames" / "df_img24_pichai_glasses_blue6000_iod600.jpg"
    data = frame.read_bytes()
    result = pipeline.process(data, load_preset("chsi-2017"), render=False)
    face = result.landmarks
    assert face is not None and face.mesh.shape == (468, 3)
    take = embed_mesh(face.rgb, face.mesh, face.scale)
    assert take and distance(take, embed(data)) < 0.1
    assert 2000 < (take.box[0] + take.box[2]) / 2 < 4000
    hits = match(take, FaceIndex((k, e) for k, e in photos.items()), LIKENESS.same_face_distance)
    assert hits and hits[0].key == frame_source(frame)
    assert "landmarks" not in result.to_dict()                  # never serialised with the verdict


def test_a_small_grayscale_enrolment_photo_embeds_and_matches_another_photo(testdata: Path) -> None:
    sheldon = embed((testdata / "faces/G15_fa_sheldon1.png").read_bytes())     # true grayscale, 150x150
    assert sheldon, sheldon
    # a 学籍照片-like copy of one Jolie photo (150x200 gray JPEG) against a DSLR frame of another Jolie photo
    source = (testdata / "portraits/df_img6_jolie.jpg").read_bytes()
    box = embed(source).box
    w = (box[2] - box[0]) / 0.45
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    gray = ImageOps.exif_transpose(Image.open(io.BytesIO(source))).convert("L")
    small = gray.crop((round(cx - w / 2), round(cy - 0.6 * w), round(cx + w / 2), round(cy + 0.73 * w)))
    enrolment = embed(_jpeg(small.resize((150, 200), Image.Resampling.LANCZOS), quality=75))
    take = embed((testdata / "frames/df_img11_jolie_blue6000_iod600.jpg").read_bytes())
    assert enrolment and take
    assert distance(enrolment, take) <= LIKENESS.enrolment_warn_distance
    other = embed((testdata / "frames/df_img3_aniston_blue6000_iod600.jpg").read_bytes())
    assert other and distance(enrolment, other) > LIKENESS.enrolment_warn_distance


def test_two_faces_give_no_embedding_with_the_reason(testdata: Path) -> None:
    for rel in SEVERAL_FACES:
        result = embed((testdata / rel).read_bytes())
        assert isinstance(result, NoFace) and not result, rel
        assert result.reason.code == "multiple_faces" and result.faces >= 2, (rel, result)
        assert f"{result.faces}张人脸" in result.reason.zh


def test_no_face_gives_no_embedding_with_the_reason(testdata: Path) -> None:
    frame = Image.open(testdata / "frames/df_img12_aniston_blue6000_iod600.jpg")
    backdrop = frame.crop((0, 0, 1500, 1000))                       # the blue backdrop beside the student
    result = embed(_jpeg(backdrop))
    assert isinstance(result, NoFace) and result.reason.code == "no_face" and result.faces == 0
    assert result.reason.zh == "未检测到人脸"


def test_a_face_too_small_to_compare_is_refused(testdata: Path) -> None:
    frame = Image.open(testdata / "frames/df_img12_aniston_blue6000_iod600.jpg")
    tiny = frame.resize((120, 80), Image.Resampling.LANCZOS)          # found (upscaled), but ~31 px wide
    result = embed(_jpeg(tiny))
    assert isinstance(result, NoFace) and result.reason.code == "face_too_small_to_compare" and result.faces == 1


def test_pixels_and_the_verdicts_decode_give_the_same_embedding(testdata: Path) -> None:
    """The station may pass the Decoded it already made for the verdict instead of the file bytes."""
    data = (testdata / "frames/df_img33_damon_blue6000_iod600.jpg").read_bytes()
    from_bytes = embed(data)
    from_decoded = embed(decode_for_analysis(data))
    rgb = np.asarray(Image.open(io.BytesIO(data)).reduce(8))
    from_pixels = embed(rgb)
    assert from_bytes and from_decoded and from_pixels
    assert distance(from_bytes, from_decoded) < 0.1
    assert distance(from_bytes, from_pixels) < 0.1
    assert max(abs(p - q) for p, q in zip(from_bytes.box, from_decoded.box)) < 0.03 * 6000
    assert max(abs(p - q * 8) for p, q in zip(from_bytes.box, from_pixels.box)) < 0.03 * 6000


def test_an_embedding_round_trips_through_bytes_and_text(photos: dict[str, Embedding]) -> None:
    e = photos["portraits/df_img47_johansson.jpg"]
    back = Embedding.from_bytes(e.to_bytes())
    assert np.array_equal(back.vector, e.vector) and back.box == e.box and distance(back, e) == 0.0
    text = e.to_text()
    assert text.isascii() and Embedding.from_text(text).box == e.box
    assert "vector" not in repr(e)                              # a repr (log line) never shows the numbers


def test_damaged_or_foreign_stored_faces_are_refused(photos: dict[str, Embedding]) -> None:
    raw = photos["portraits/df_img47_johansson.jpg"].to_bytes()
    for bad in (raw[:-4], raw + b"\0", b"JPEG" + raw[4:], b""):
        with pytest.raises(LikenessError):
            Embedding.from_bytes(bad)
    foreign = raw.replace(b"dlib-resnet-v1", b"dlib-resnet-v9")
    with pytest.raises(LikenessError, match="model"):
        Embedding.from_bytes(foreign)
    with pytest.raises(LikenessError):
        Embedding.from_text("not base64!")


def test_the_index_finds_the_right_key_among_many(testdata: Path, photos: dict[str, Embedding]) -> None:
    rng = np.random.default_rng(7)
    gallery: FaceIndex[str] = FaceIndex()
    fillers = rng.normal(0, 0.13, (20000, 128)).astype(np.float32)   # far from every real face (~1.5)
    for i, v in enumerate(fillers[:10000]):
        gallery.add(f"filler-{i}", Embedding(v, (0, 0, 1, 1)))
    for key, e in photos.items():
        gallery.add(key, e)
    for i, v in enumerate(fillers[10000:]):
        gallery.add(f"filler-{10000 + i}", Embedding(v, (0, 0, 1, 1)))
    assert len(gallery) == 20000 + len(photos)
    take = embed((testdata / "frames/df_img32_damon_blue6000_iod600.jpg").read_bytes())
    assert take
    hits = match(take, gallery, LIKENESS.enrolment_warn_distance)
    assert [h.key for h in hits[:2]] == ["portraits/df_img32_damon.jpg", "portraits/df_img33_damon.jpg"]
    assert hits[0].distance == pytest.approx(distance(take, photos["portraits/df_img32_damon.jpg"]), abs=1e-4)
    assert match(take, gallery, LIKENESS.enrolment_warn_distance, limit=1) == hits[:1]
    assert gallery.remove("portraits/df_img32_damon.jpg") == 1
    assert match(take, gallery, LIKENESS.enrolment_warn_distance)[0].key == "portraits/df_img33_damon.jpg"
    assert match(take, FaceIndex(), 1.0) == []


def test_numpy_resnet_gives_dlibs_own_numbers(testdata: Path) -> None:
    """Our forward pass of the model file against dlib's compute_face_descriptor on the same real chips."""
    import dlib

    from pipeline.likeness import face, resnet
    models = face._models()
    reference = dlib.face_recognition_model_v1(face._model_path("dlib_face_recognition_resnet_model_v1.dat"))
    for rel in ("portraits/df_img3_aniston.jpg", "portraits/fr_obama.jpg", "faces/G13_cd_lennon_child_gray.png"):
        rgb = np.asarray(ImageOps.exif_transpose(Image.open(testdata / rel)).convert("RGB"))
        rect = models["detector"](rgb, 1)[0]
        chip = dlib.get_face_chip(rgb, models["landmarks"](rgb, rect), size=150, padding=0.25)
        ours = resnet.forward(models["net"], chip)
        theirs = np.asarray(reference.compute_face_descriptor(chip), np.float32)
        assert np.abs(ours - theirs).max() < 1e-4, rel


def test_a_file_that_is_not_the_expected_network_is_refused() -> None:
    from pipeline.likeness import face, resnet
    data = Path(face._model_path("dlib_face_recognition_resnet_model_v1.dat")).read_bytes()
    with pytest.raises(resnet.ModelFileError):
        resnet.parse(data[: len(data) // 2])                    # truncated in the middle of the blocks
    with pytest.raises(resnet.ModelFileError):
        resnet.parse(Path(face._model_path("shape_predictor_5_face_landmarks.dat")).read_bytes())


def test_importing_likeness_does_not_load_dlib() -> None:
    """Commands that never compare faces must not pay for dlib and the models."""
    code = "import sys, pipeline.likeness, station.cli; print('dlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_preset_carries_the_likeness_thresholds_and_a_workspace_can_change_one(tmp_path: Path) -> None:
    assert 0 < LIKENESS.same_face_distance < LIKENESS.warn_distance <= LIKENESS.enrolment_warn_distance < 1.2
    assert load_preset("chsi-2017-white").likeness == LIKENESS               # variants inherit the base's
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "chsi-2017.toml").write_text("[likeness]\nenrolment_warn_distance = 0.55\n")
    changed = load_preset("chsi-2017", tmp_path).likeness
    assert changed.enrolment_warn_distance == 0.55 and changed.same_face_distance == LIKENESS.same_face_distance


def test_embed_refuses_pixels_it_cannot_use() -> None:
    with pytest.raises(ValueError):
        embed(np.zeros((10, 10, 3), np.float32))
    assert not likeness.embed(np.full((200, 150), 128, np.uint8))            # flat gray: no face
