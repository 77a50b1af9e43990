"""Who is in each single-face team fixture (../shared/testdata), for the likeness tests and bench/bench_faces.py.

Labels come from the fixtures' PROVENANCE.md / MANIFEST.tsv (public figures named there) and, for unnamed
people, one identity per file, except CompreFace's 002_A / 005_A: that repository names its single-face
samples by person letter (001-006 "_A", 007-008 "_B", 009 "_C"; multi-face ones by face count) and the two
selfies look like one woman, so they are one identity ("cf-person-A", hat and no hat). The child photo of John Lennon is its own label and is left out of both the
same-person and the different-person pairs with the adult Lennon (decades apart: neither claim is fair).
Frames in frames/ are the portraits re-shot as 6000x4000 DSLR-like frames: same person as their source file.
"""
from __future__ import annotations

from pathlib import Path

PHOTOS: dict[str, str] = {
    "portraits/df_img11_jolie.jpg": "jolie", "portraits/df_img6_jolie.jpg": "jolie", "faces/F15_fp_jolie.jpg": "jolie",
    "portraits/df_img3_aniston.jpg": "aniston", "portraits/df_img12_aniston.jpg": "aniston",
    "portraits/df_img24_pichai_glasses.jpg": "pichai", "portraits/df_img25_pichai_glasses.jpg": "pichai",
    "portraits/df_img32_damon.jpg": "damon", "portraits/df_img33_damon.jpg": "damon",
    "portraits/df_img47_johansson.jpg": "johansson", "portraits/df_img51_johansson.jpg": "johansson",
    "portraits/df_img18_musk.jpg": "musk", "portraits/hv_test0.jpg": "musk",
    "faces/F10_of_lennon1.jpg": "lennon", "faces/G05_of_lennon2.jpg": "lennon",
    "faces/G13_cd_lennon_child_gray.png": "lennon-child",
    "portraits/df_img13_zuckerberg.jpg": "zuckerberg", "portraits/df_img61_dorsey.jpg": "dorsey",
    "portraits/df_img20_bezos.jpg": "bezos", "portraits/df_img22_mayer.jpg": "mayer",
    "portraits/df_img28_perry.jpg": "perry", "portraits/df_img35_dicaprio.jpg": "dicaprio",
    "portraits/df_img39_clooney.jpg": "clooney", "portraits/fr_alex_lacamoire.png": "lacamoire",
    "portraits/fr_biden.jpg": "biden", "portraits/fr_lin_manuel_miranda.png": "miranda",
    "portraits/fr_obama.jpg": "obama", "portraits/fr_rose_leslie.jpg": "leslie",
    "portraits/hv_test1.jpg": "hv1", "portraits/hv_test2.jpg": "hv2-child", "portraits/hv_test3.jpg": "hv3",
    "portraits/hv_test4.jpg": "hv4", "portraits/skimage_astronaut.png": "collins",
    "faces/F01_ci_closed_eyes.jpg": "ci-student", "faces/F03_fa_disgusted.jpg": "fa-disgusted",
    "faces/F04_fa_surprised.jpg": "fa-surprised", "faces/F06_fa_penny1.png": "penny",
    "faces/F07_dl_tom_cruise.jpg": "cruise", "faces/F12_cf_face2.jpg": "cf-face2",
    "faces/F17_3d_car_profile.jpg": "3d-driver", "faces/F19_cd_blur_0342.png": "cd-0342",
    "faces/F21_cf_005A_hat.jpg": "cf-person-A", "faces/F23_fa_angry.jpg": "fa-angry",
    "faces/G01_fp_paul_rudd.jpg": "rudd", "faces/G03_of_carell.jpg": "carell",
    "faces/G07_cf_face3.jpg": "cf-face3", "faces/G09_cf_002A.jpg": "cf-person-A",
    "faces/G11_pm_some_guy.jpg": "pm-guy", "faces/G15_fa_sheldon1.png": "sheldon",
}
#: files with two or more faces of comparable size
SEVERAL_FACES = ("portraits/multi_df_couple.jpg", "portraits/multi_fr_two_people.jpg",
                 "portraits/multi_df_selfie_many.jpg", "faces/M01_3d2_trump_hillary.jpg",
                 "faces/M03_fp_multiface.jpg", "faces/M05_ci_group.jpg")
_UNFAIR = {frozenset(("lennon", "lennon-child"))}


def comparable(a: str, b: str) -> bool:
    """False for identity pairs that are neither a fair same nor a fair different claim."""
    return frozenset((a, b)) not in _UNFAIR


def frame_source(frame: Path) -> str:
    """'portraits/<file>' a frames/*_blue6000_iod600.jpg was made from."""
    stem = frame.name.removesuffix("_blue6000_iod600.jpg")
    matches = [k for k in PHOTOS if k.startswith("portraits/") and Path(k).stem == stem]
    if len(matches) != 1:
        raise KeyError(f"no single source portrait for {frame.name}")
    return matches[0]
