"""Pick the demo's generated identities and measure the face bands the demo workspace uses.

For each candidate identity (portrait seed) it draws what the demo shoots: the frame (2400x1600), its
finished photo when the pipeline passes it, the flawed takes the demo refuses, and the 150x200 enrolment
photo (station.demo.faces.enrolment_photo). It keeps identities whose good frame passes the verdict and
embeds, then greedily those at least --apart from every kept one (the smallest distance over all their
pictures), and prints the largest same-identity distance beside the smallest different-identity one.
Paste its output into station/demo/faces.py.
Run: .venv/bin/python tools/demo_faces.py [--first 7000] [--count 120] [--apart 0.26]
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.formats import load_preset  # noqa: E402
from pipeline import likeness, process  # noqa: E402
from station.demo.faces import enrolment_photo, frame  # noqa: E402
from station.demo.script import BAD_FLAWS, FRAME_SIZE  # noqa: E402


def pictures(seed: int, preset) -> dict[str, likeness.Embedding] | None:  # type: ignore[no-untyped-def]
    good = frame(seed, size=FRAME_SIZE)
    result = process(good, preset)
    if not result.ok or not result.photo:
        return None
    found = {"photo": likeness.embed(result.photo), "frame": likeness.embed(good),
             "enrolment": likeness.embed(enrolment_photo(seed))}
    for flaw in BAD_FLAWS:
        data = frame(seed, size=FRAME_SIZE, flaw=flaw)
        bad = process(data, preset)
        found[flaw] = likeness.embed(bad.photo) if bad.photo else likeness.embed(data)
    kept = {k: e for k, e in found.items() if e}
    return kept if all(k in kept for k in ("photo", "frame", "enrolment")) else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--first", type=int, default=7000)
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--apart", type=float, default=0.26)
    args = parser.parse_args()
    preset = load_preset("chsi-2017")
    pool = {}
    for seed in range(args.first, args.first + args.count):
        found = pictures(seed, preset)
        if found is not None:
            pool[seed] = found
    print(f"{len(pool)} of {args.count} identities pass the verdict and embed")

    def apart(a: int, b: int) -> float:
        return min(likeness.distance(x, y) for x in pool[a].values() for y in pool[b].values())

    chosen: list[int] = []
    for seed in pool:
        if all(apart(seed, c) >= args.apart for c in chosen):
            chosen.append(seed)
    same = max(likeness.distance(x, y) for s in chosen for x, y in itertools.combinations(pool[s].values(), 2))
    diff = min(apart(a, b) for a, b in itertools.combinations(chosen, 2))
    print(f"IDENTITIES = {tuple(chosen)}  # {len(chosen)} identities")
    print(f"same identity (photo, frame, flawed takes, enrolment photo): max {same:.3f}")
    print(f"different identities: min {diff:.3f}")
    d = likeness.distance
    own = max(d(pool[s]["photo"], pool[s]["enrolment"]) for s in chosen)
    others = min(d(pool[a]["photo"], pool[b]["enrolment"]) for a, b in itertools.permutations(chosen, 2))
    photos = min(d(pool[a]["photo"], pool[b]["photo"]) for a, b in itertools.combinations(chosen, 2))
    flawed = max(d(pool[s]["photo"], e) for s in chosen for k, e in pool[s].items() if k in BAD_FLAWS)
    print(f"finished photo vs own enrolment photo: max {own:.3f}; vs another's enrolment photo: min {others:.3f}")
    print(f"finished photo vs another identity's photo: min {photos:.3f}")
    print(f"flawed take vs the identity's good photo: max {flawed:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
