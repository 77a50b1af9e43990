"""Face likeness on the team's real photos: accuracy over every same/different pair, speed, memory.

Accuracy: every pair of single-face photos in ../shared/testdata/{portraits,faces} (labels: tests/face_identities.py),
then frames/ (the portraits re-shot as 6000x4000 frames) against photos, then frames against "enrolment-like"
copies (each photo cut to a 3:4 head-and-shoulders crop, 150x200 grayscale JPEG, as a 学籍照片 often is).
Prints the true-match rate at a false-match rate <= 1%, the threshold giving it, the distance ranges, and the
preset's [likeness] thresholds with what they catch.
Speed: embedding per take on ONE core (the script pins itself to one CPU before numpy starts its threads),
median and p95; one probe against 20,000 stored faces; peak memory.
Run: .venv/bin/python bench/bench_faces.py [--gallery 20000] [--cores 1]
"""
from __future__ import annotations

import os
import sys

if __name__ == "__main__":                       # pin before numpy/OpenBLAS create their threads
    _cores = int(sys.argv[sys.argv.index("--cores") + 1]) if "--cores" in sys.argv else 1
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:_cores])

import argparse  # noqa: E402
import io  # noqa: E402
import itertools  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

from _stats import pct  # noqa: E402  (bench/ is on sys.path when a script here runs)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from config.formats import load_preset  # noqa: E402
from face_identities import PHOTOS, comparable, frame_source  # noqa: E402
from pipeline import likeness  # noqa: E402

TESTDATA = ROOT.parent / "shared" / "testdata"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def enrolment_like(data: bytes, box: tuple[int, int, int, int]) -> bytes:
    """A 150x200 grayscale JPEG head-and-shoulders crop around `box` (face ~45% of the width)."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L")
    x0, y0, x1, y1 = box
    cx, cy, fw = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0
    w = fw / 0.45
    h = w * 4 / 3
    crop = image.crop((round(cx - w / 2), round(cy - 0.45 * h), round(cx + w / 2), round(cy + 0.55 * h)))
    out = io.BytesIO()
    crop.resize((150, 200), Image.Resampling.LANCZOS).save(out, "JPEG", quality=75)
    return out.getvalue()


def timed_embed(data: bytes) -> tuple[likeness.Embedding | likeness.NoFace, float]:
    t = time.perf_counter()
    e = likeness.embed(data)
    return e, (time.perf_counter() - t) * 1000


def rates(same: list[float], diff: list[float], threshold: float) -> tuple[float, float]:
    """(true-match rate, false-match rate) when distance <= threshold means 'same person'."""
    return (sum(d <= threshold for d in same) / len(same), sum(d <= threshold for d in diff) / len(diff))


def at_fmr(same: list[float], diff: list[float], fmr: float = 0.01) -> tuple[float, float]:
    """The largest threshold whose false-match rate is <= fmr, and the true-match rate there."""
    ordered = sorted(diff)
    allowed = int(fmr * len(ordered))            # this many false matches are within the rate
    threshold = ordered[allowed] - 1e-6 if allowed < len(ordered) else ordered[-1]
    return threshold, rates(same, diff, threshold)[0]


def report(title: str, same: list[float], diff: list[float], preset_thresholds: dict[str, float]) -> None:
    print(f"\n{title}")
    print(f"  pairs: {len(same)} same-person, {len(diff)} different-person")
    if same:
        print(f"  same person:      min {min(same):.3f}  median {statistics.median(same):.3f}  max {max(same):.3f}")
    print(f"  different people: min {min(diff):.3f}  p1 {pct(diff, 0.01):.3f}  median {statistics.median(diff):.3f}"
          f"  max {max(diff):.3f}")
    if same:
        t, tmr = at_fmr(same, diff)
        print(f"  at FMR <= 1%: threshold {t:.3f}, true-match rate {tmr:.1%} ({round(tmr * len(same))}/{len(same)})")
    for name, value in preset_thresholds.items():
        within_same = sum(d <= value for d in same)
        within_diff = sum(d <= value for d in diff)
        share = f"{within_same / len(same):.1%} ({within_same}/{len(same)})" if same else "-"
        print(f"  preset {name} = {value:.2f}: pairs at or below it: same-person {share},"
              f" different-person {within_diff / len(diff):.2%} ({within_diff}/{len(diff)})")


def pairs(a: dict[str, tuple[str, np.ndarray]], b: dict[str, tuple[str, np.ndarray]] | None = None,
          *, skip_same_source: bool = False) -> tuple[list[float], list[float]]:
    """Distances of every (a, b) pair split by identity: (same, different). With b None, pairs within a."""
    same: list[float] = []
    diff: list[float] = []
    combos = itertools.combinations(a.items(), 2) if b is None else itertools.product(a.items(), b.items())
    for (ka, (ida, va)), (kb, (idb, vb)) in combos:
        if not comparable(ida, idb) or (skip_same_source and ka == kb):
            continue
        (same if ida == idb else diff).append(float(np.linalg.norm(va - vb)))
    return same, diff


def closest(photos: dict[str, tuple[str, np.ndarray]], n: int = 6) -> list[tuple[float, str, str]]:
    """The n nearest different-person pairs, named by file stem (which faces a threshold must survive)."""
    rows = [(float(np.linalg.norm(va - vb)), Path(ka).stem, Path(kb).stem)
            for (ka, (ida, va)), (kb, (idb, vb)) in itertools.combinations(photos.items(), 2)
            if ida != idb and comparable(ida, idb)]
    return sorted(rows)[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gallery", type=int, default=20000, help="stored faces for the 1:N comparison")
    parser.add_argument("--cores", type=int, default=1, help="CPUs the script may use (pinned at start)")
    args = parser.parse_args()
    if not TESTDATA.is_dir():
        print(f"team fixtures not found at {TESTDATA}: nothing to measure")
        return 0
    preset = load_preset("chsi-2017").likeness
    print(f"CPUs used: {sorted(os.sched_getaffinity(0))} (load average {os.getloadavg()[0]:.2f})")
    before = rss_mb()
    t = time.perf_counter()
    likeness.warm_up()
    print(f"models loaded in {time.perf_counter() - t:.2f} s; memory {before:.0f} -> {rss_mb():.0f} MB (ru_maxrss)")

    photos: dict[str, tuple[str, np.ndarray]] = {}
    boxes: dict[str, tuple[int, int, int, int]] = {}
    small_ms: list[float] = []
    for rel, person in PHOTOS.items():
        data = (TESTDATA / rel).read_bytes()
        e, ms = timed_embed(data)
        small_ms.append(ms)
        if not e:
            print(f"  no embedding for {rel}: {e.reason.en}")
            continue
        photos[rel] = (person, e.vector)
        boxes[rel] = e.box
    frames: dict[str, tuple[str, np.ndarray]] = {}
    frame_ms: list[float] = []
    for path in sorted((TESTDATA / "frames").glob("*_blue6000_iod600.jpg")):
        src = frame_source(path)
        e, ms = timed_embed(path.read_bytes())
        frame_ms.append(ms)
        if not e:
            print(f"  no embedding for frames/{path.name}: {e.reason.en}")
            continue
        frames[src] = (PHOTOS[src], e.vector)
    enrol: dict[str, tuple[str, np.ndarray]] = {}
    enrol_ms: list[float] = []
    for rel, box in boxes.items():
        e, ms = timed_embed(enrolment_like((TESTDATA / rel).read_bytes(), box))
        enrol_ms.append(ms)
        if not e:
            print(f"  no embedding for the enrolment-like copy of {rel}: {e.reason.en}")
            continue
        enrol[rel] = (PHOTOS[rel], e.vector)
    print(f"memory after embedding everything: {rss_mb():.0f} MB (ru_maxrss)")
    print(f"embedded: {len(photos)}/{len(PHOTOS)} photos, {len(frames)}/{len(frame_ms)} frames,"
          f" {len(enrol)}/{len(boxes)} enrolment-like copies; {len(set(p for p, _ in photos.values()))} identities")

    print("\n(a pair 'at or below' a threshold is called the same person: for same_face_distance that is a 1:N hit;"
          "\n for the warn thresholds, same-person pairs above are false warnings, different-person pairs at or"
          "\n below are impostors not warned)")
    thresholds = {"same_face_distance": preset.same_face_distance, "warn_distance": preset.warn_distance,
                  "enrolment_warn_distance": preset.enrolment_warn_distance}
    same, diff = pairs(photos)
    report("1. different photos (portraits + faces), every pair", same, diff, thresholds)
    print("  closest different people: " + ", ".join(f"{d:.3f} {a}/{b}" for d, a, b in closest(photos)))
    own = [float(np.linalg.norm(frames[k][1] - photos[k][1])) for k in frames if k in photos]
    print(f"\n2. frame vs the photo it was made from (easy: same picture re-shot): {len(own)} pairs,"
          f" distance min {min(own):.3f} median {statistics.median(own):.3f} max {max(own):.3f}")
    same, diff = pairs(frames, photos, skip_same_source=True)
    report("3. frame vs every other photo (take vs another picture of the person)", same, diff, thresholds)
    same, diff = pairs(frames, enrol, skip_same_source=True)
    report("4. frame vs enrolment-like copies of the other photos (150x200 grayscale)", same, diff, thresholds)
    same_e, diff_e = pairs(enrol)
    report("5. enrolment-like copy vs enrolment-like copy (both small and grayscale)", same_e, diff_e, thresholds)
    child = [float(np.linalg.norm(photos["faces/G13_cd_lennon_child_gray.png"][1] - photos[k][1]))
             for k in ("faces/F10_of_lennon1.jpg", "faces/G05_of_lennon2.jpg")
             if k in photos and "faces/G13_cd_lennon_child_gray.png" in photos]
    if child:
        print(f"\n(left out above) Lennon as a child vs as an adult: {', '.join(f'{d:.3f}' for d in child)}")

    print("\nspeed (bytes -> embedding, one take at a time)")
    show = lambda label, ms: print(f"  {label:46} n={len(ms):3d}  median {statistics.median(ms):6.1f} ms"  # noqa: E731
                                   f"  p95 {pct(ms, 0.95):6.1f} ms  max {max(ms):6.1f} ms")
    show("6000x4000 JPEG frames", frame_ms)
    show("photos as given (150x150 ... 3880x5184)", small_ms)
    show("enrolment-like 150x200 grayscale JPEG", enrol_ms)
    reference_net(photos)

    rng = np.random.default_rng(13)
    real = [(k, likeness.Embedding(v, (0, 0, 1, 1))) for k, (_, v) in photos.items()]
    noise = rng.normal(0, 0.13, (args.gallery - len(real), 128)).astype(np.float32)
    t = time.perf_counter()
    index = likeness.FaceIndex(real + [(f"filler-{i}", likeness.Embedding(v, (0, 0, 1, 1)))
                                       for i, v in enumerate(noise)])
    build = time.perf_counter() - t
    probe_key = "frames/df_img11_jolie"
    probe = likeness.Embedding(frames["portraits/df_img11_jolie.jpg"][1], (0, 0, 1, 1))
    probe_ms = []
    for _ in range(200):
        t = time.perf_counter()
        hits = likeness.match(probe, index, preset.same_face_distance)
        probe_ms.append((time.perf_counter() - t) * 1000)
    print(f"\n1:N: {len(index)} stored faces ({len(real)} real + random fillers), built in {build * 1000:.0f} ms;"
          f" {probe_key} -> {[(h.key, round(h.distance, 3)) for h in hits[:3]]}")
    show(f"one probe vs {len(index)} stored faces", probe_ms)
    chair_cost(args.gallery, noise)
    print(f"\npeak memory (ru_maxrss): {rss_mb():.0f} MB")
    return 0


def chair_cost(gallery: int, fillers: np.ndarray) -> None:
    """At the chair (station.faces.chair): the finished photo's embedding, then the comparison with a face
    book of `gallery` take faces and as many enrolment photos (a real SQLite face book in a temp folder)."""
    import tempfile
    from datetime import datetime

    from pipeline import process
    from station.faces.chair import enrolment_index, take_index
    from station.store.faces import FaceBook, NewEnrolment
    preset = load_preset("chsi-2017")
    photos = []
    for path in sorted((TESTDATA / "frames").glob("*_blue6000_iod600.jpg")):
        result = process(path.read_bytes(), preset)
        if result.photo:
            photos.append(result.photo)
    embed_ms, probes = [], []
    for photo in photos:
        for _ in range(3):
            e, ms = timed_embed(photo)
            embed_ms.append(ms)
        probes.append(e)
    with tempfile.TemporaryDirectory() as tmp:
        book = FaceBook.open(Path(tmp))
        now = datetime.now()
        vectors = [fillers[i % len(fillers)] + np.float32(i * 1e-4) for i in range(gallery)]
        t = time.perf_counter()
        for i, v in enumerate(vectors):
            book.add_take(i + 1, i + 1, f"c{i}", likeness.Embedding(v, (0, 0, 1, 1)), picture="photo", when=now)
        book.put_enrolments([NewEnrolment(i + 1, f"c{i}", f"c{i}.jpg", f"{i:064d}", b"\xff\xd8",
                                          likeness.Embedding(v, (0, 0, 1, 1))) for i, v in enumerate(vectors)],
                            when=now)
        fill_s = time.perf_counter() - t
        t = time.perf_counter()
        take_index(book)
        enrolment_index(book)
        cold = (time.perf_counter() - t) * 1000
        compare_ms = []
        for n, probe in enumerate(probes * 20):
            t = time.perf_counter()
            book.add_take(gallery + n + 1, None, None, probe, picture="photo", when=now)
            likeness.match(probe, take_index(book), preset.likeness.same_face_distance)
            likeness.match(probe, enrolment_index(book), preset.likeness.same_face_distance, limit=3)
            compare_ms.append((time.perf_counter() - t) * 1000)
        book.close()
    print(f"\nat the chair: face book of {gallery} take faces + {gallery} enrolment photos (written in {fill_s:.1f} s);"
          f" first take of a process loads both indexes in {cold:.0f} ms")
    show = lambda label, ms: print(f"  {label:46} n={len(ms):3d}  median {statistics.median(ms):6.1f} ms"  # noqa: E731
                                   f"  p95 {pct(ms, 0.95):6.1f} ms  max {max(ms):6.1f} ms")
    show("embed the finished 480x640 photo", embed_ms)
    show(f"record + compare with {gallery} + {gallery}", compare_ms)
    total = statistics.median(embed_ms) + statistics.median(compare_ms)
    print(f"  at-the-chair cost per take (medians added): {total:.1f} ms (goal <= 80 ms embedding, <= 20 ms compare)")


def reference_net(photos: dict[str, tuple[str, np.ndarray]]) -> None:
    """dlib's own ResNet on the same chips, to show why the numpy forward pass exists (and that it agrees)."""
    import dlib

    from pipeline.likeness import face, resnet
    models = face._models()
    rec = dlib.face_recognition_model_v1(face._model_path("dlib_face_recognition_resnet_model_v1.dat"))
    ours, theirs, worst = [], [], 0.0
    for rel in list(photos)[:10]:
        rgb = np.asarray(ImageOps.exif_transpose(Image.open(TESTDATA / rel)).convert("RGB"))
        rect = models["detector"](rgb, 0)
        if len(rect) != 1:
            continue
        chip = dlib.get_face_chip(rgb, models["landmarks"](rgb, rect[0]), size=150, padding=0.25)
        t = time.perf_counter()
        a = resnet.forward(models["net"], chip)
        ours.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        b = np.asarray(rec.compute_face_descriptor(chip), np.float32)
        theirs.append((time.perf_counter() - t) * 1000)
        worst = max(worst, float(np.abs(a - b).max()))
    print(f"  ResNet alone, numpy (ours) vs dlib-bin (no BLAS): median {statistics.median(ours):.1f} ms vs"
          f" {statistics.median(theirs):.1f} ms on {len(ours)} chips; largest difference {worst:.1e}")


if __name__ == "__main__":
    raise SystemExit(main())
