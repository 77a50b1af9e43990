"""The verdict on labelled real photos: per check, caught / missed / false alarms, and the time per photo.

Labels: ../shared/testdata/faces/MANIFEST.tsv (`expected`) and bench/verdict_labels.tsv (the portraits; each
frames/*_blue6000_iod600.jpg takes its portrait's label). The photos are read where they lie, never copied.
Only face reasons (and several faces, blur) are scored: the photos are not station frames, so geometry,
backdrop and clothing reasons are not flaws of theirs. "caught" = named as a refusal; "warned" = named only
as a warning (the operator would see it); "false" = refused for a flaw the photo does not have.
Run: .venv/bin/python bench/eval_verdict.py [--set faces|portraits|frames|all]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pipeline  # noqa: E402
from config.formats import load_preset  # noqa: E402
from pipeline.checks import FACE_CODES  # noqa: E402

TESTDATA = ROOT.parent / "shared" / "testdata"
SCORED = sorted(FACE_CODES | {"multiple_faces", "blurred", "no_face"})


def _codes(text: str) -> set[str]:
    words = set(text.replace("(", " ").replace(")", " ").split())
    return {w for w in words if w in SCORED}


def labelled(which: str) -> list[tuple[Path, set[str]]]:
    rows: list[tuple[Path, set[str]]] = []
    if which in ("faces", "all"):
        for line in (TESTDATA / "faces" / "MANIFEST.tsv").read_text().splitlines()[1:]:
            name, _, expected = line.split("\t")[:3]
            rows.append((TESTDATA / "faces" / name, _codes(expected)))
    portraits: dict[str, set[str]] = {}
    for line in (ROOT / "bench" / "verdict_labels.tsv").read_text().splitlines():
        if not line or line.startswith(("#", "file\t")):
            continue
        path, expected = line.split("\t")[:2]
        portraits[Path(path).stem] = _codes(expected)
        if which in ("portraits", "all"):
            rows.append((TESTDATA / path, _codes(expected)))
    if which in ("frames", "all"):
        for frame in sorted((TESTDATA / "frames").glob("*_blue6000_iod600.jpg")):
            rows.append((frame, portraits[frame.name.replace("_blue6000_iod600.jpg", "")]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", default="all", choices=("faces", "portraits", "frames", "all"))
    parser.add_argument("--format", default="chsi-2017")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per photo")
    args = parser.parse_args()
    if not TESTDATA.is_dir():
        print(f"team fixtures not found at {TESTDATA}")
        return 1
    preset = load_preset(args.format)
    rows = labelled(args.set)
    pipeline.process(rows[0][0].read_bytes(), preset, render=False)     # load the models (not timed)
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    times, good_flawed, good_total = [], 0, 0
    good_warned: dict[str, int] = defaultdict(int)      # code -> good photos warned with it
    for path, expected in rows:
        data = path.read_bytes()
        t = time.perf_counter()
        result = pipeline.process(data, preset, render=False)
        times.append((time.perf_counter() - t) * 1000)
        refused = {r.code for r in result.reasons} & set(SCORED)
        warned = {w.code for w in result.warnings} & set(SCORED)
        for code in SCORED:
            if code in expected:
                tally[code]["caught" if code in refused else "warned" if code in warned else "missed"] += 1
            elif code in refused:
                tally[code]["false"] += 1
            elif code in warned:
                tally[code]["false_warn"] += 1
        if not expected:
            good_total += 1
            good_flawed += bool(refused & FACE_CODES)
            for code in warned & FACE_CODES:
                good_warned[code] += 1
        if args.verbose:
            print(f"  {path.parent.name}/{path.name[:40]:40} expected {' '.join(sorted(expected)) or 'good':28} "
                  f"refused {' '.join(sorted(refused)) or '-':28} warned {' '.join(sorted(warned)) or '-'}")
    print(f"{len(rows)} labelled photos ({args.set}), preset {args.format}")
    print(f"| check | expected | caught (refused) | warned only | missed | false refusals | false warnings |")
    print("|---|---|---|---|---|---|---|")
    for code in SCORED:
        t = tally[code]
        n = t["caught"] + t["warned"] + t["missed"]
        if n or t["false"] or t["false_warn"]:
            print(f"| {code} | {n} | {t['caught']} | {t['warned']} | {t['missed']} | {t['false']} | {t['false_warn']} |")
    print(f"good photos with a face-flaw refusal: {good_flawed} of {good_total}")
    print(f"face-flaw warnings on good photos: {sum(good_warned.values())} on {good_total} photos "
          f"({', '.join(f'{c} {n}' for c, n in sorted(good_warned.items())) or 'none'})")
    print(f"time per photo (bytes -> verdict): median {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms (n={len(times)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
