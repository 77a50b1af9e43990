"""The demo's generated people, told apart by the face check, and their generated enrolment photos.

Generated faces are cartoons: dlib's network, trained on real people, puts all of them close together
(plain `pipeline.synthetic` portraits 0.04-0.30 apart, where real different people are >= 0.55). So the demo
(1) draws its students with identity proportions (`pipeline.synthetic.identity_features`), from identities
chosen by measurement to be far apart, and (2) runs with face bands measured on those generated faces, written
into the demo workspace's own preset override (`presets/chsi-2017.toml`, [likeness] only; the bundled
preset's bands, measured on real photos, are what a real session uses). Measured by tools/demo_faces.py.
"""
from __future__ import annotations

import io
from pathlib import Path

from pipeline.synthetic import SyntheticPortrait, identity_features, portrait

#: generated identities whose finished photo, frame and 150x200 enrolment copy are all at least MIN_APART
#: from every other identity's (tools/demo_faces.py picks them); a demo with more students repeats them
IDENTITIES: tuple[int, ...] = (7002, 7003, 7006, 7010, 7011, 7012, 7013, 7014, 7015, 7016, 7017, 7020, 7022, 7024,
                                7026, 7028, 7034, 7035, 7036, 7039, 7042, 7051, 7053, 7055, 7056, 7060, 7073, 7074,
                                7089, 7093)
MIN_APART = 0.26
#: the demo workspace's [likeness], from tools/demo_faces.py --count 100 --apart 0.26 (30 of the 70 usable
#: identities among seeds 7000-7099; re-measured when the drawn hair got strands):
#:   finished photo vs own enrolment photo: max 0.212; vs another identity's enrolment photo: min 0.288
#:   finished photo vs another identity's photo: min 0.290
#:   a flawed take (refused: eyes closed, tilted, too close, blue shirt) vs the identity's good photo: up to 0.534
LIKENESS_TOML = """\
# Written by `station demo`: face bands for the demo's GENERATED faces (station/demo/faces.py has the
# measurements). Generated faces are far closer together than real people; never use these bands for a real
# session (the bundled chsi-2017 bands are measured on real photos).
[likeness]
same_face_distance = 0.25
enrolment_warn_distance = 0.25
# a refused take of the same generated face reaches 0.534 (a tilted or too-close cartoon): above that only
warn_distance = 0.60
"""


def identity(index: int) -> int:
    """The generated identity (a portrait seed) of the demo's index-th student."""
    return IDENTITIES[index % len(IDENTITIES)]


def frame(seed: int, *, size: tuple[int, int], flaw: str | None = None) -> bytes:
    return portrait(seed, width=size[0], height=size[1], flaw=flaw, features=identity_features(seed)).jpeg


def enrolment_photo(seed: int) -> bytes:
    """A 150x200 head-and-shoulders JPEG of the identity, as a school's 学籍照片 would be (smaller, older
    file, another crop): cut from a frame by the geometry the generator reports."""
    from PIL import Image
    shot: SyntheticPortrait = portrait(seed, width=1200, height=1600, features=identity_features(seed))
    width = shot.face_width / 0.5
    top = shot.crown_y - 0.12 * width
    box = (round(shot.centre_x - width / 2), round(top), round(shot.centre_x + width / 2), round(top + width * 4 / 3))
    with Image.open(io.BytesIO(shot.jpeg)) as im:
        small = im.convert("RGB").crop(box).resize((150, 200), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


def write_enrolment_photos(folder: Path, students: list[tuple[str, int]]) -> None:
    """(student number, identity) -> FOLDER/<student number>.jpg, for `station roster photos`."""
    from station.store.durable import write_new_file
    for student_no, seed in students:
        write_new_file(folder / f"{student_no}.jpg", enrolment_photo(seed))


def write_demo_preset(workspace: Path) -> None:
    from station.store.durable import write_new_file
    write_new_file(workspace / "presets" / "chsi-2017.toml", LIKENESS_TOML.encode("utf-8"))
