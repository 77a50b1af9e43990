"""The verdict on labelled real photos: the per-flaw table (named / refused / photos with it), false refusals
and false warnings on good faces, groups refused, overall named; and the time per photo.

Sets: `real` (default) = ../shared/testdata/faces (MANIFEST `expected`) + ../shared/testdata/faces2 (MANIFEST
`label`), 140 photos, printed twice: the TUNING part and the HELD-OUT part. The held-out part is fixed in
bench/verdict_holdout.tsv (chosen before any tuning, ~1/3 of each flaw class): nothing is trained or tuned on
it; only its table is looked at. Older sets: `faces`, `portraits` / `frames` (labels in bench/verdict_labels.tsv).
The photos are read where they lie, never copied. Only face reasons (and several faces, blur, no face) are
scored: the photos are not station frames, so geometry, backdrop and clothing reasons are not flaws of theirs.
"named" = refused or warned with the flaw's code; "refused" = named as a refusal.
Run: .venv/bin/python bench/eval_verdict.py [--set real|faces|faces2|portraits|frames|all] [-v]
"""
from __future__ import annotations

import argparse
import json
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
FLAWS = ("head_turned", "head_tilted", "mouth_open", "eyes_closed", "expression", "hair_over_face", "glasses",
         "blurred", "headwear")
HOLDOUT = ROOT / "bench" / "verdict_holdout.tsv"


def _codes(text: str) -> set[str]:
    words = set(text.replace("(", " ").replace(")", " ").split())
    return {w for w in words if w in SCORED}


def held_out() -> set[str]:
    """'faces/NAME' / 'faces2/NAME' of the held-out photos."""
    return {line for line in HOLDOUT.read_text().splitlines() if line and not line.startswith(("#", "file"))}


def _manifest(folder: str, column: int) -> list[tuple[Path, set[str]]]:
    rows = []
    for line in (TESTDATA / folder / "MANIFEST.tsv").read_text().splitlines()[1:]:
        cols = line.split("\t")
        rows.append((TESTDATA / folder / cols[0], _codes(cols[column])))
    return rows


def labelled(which: str) -> list[tuple[Path, set[str]]]:
    rows: list[tuple[Path, set[str]]] = []
    if which in ("faces", "real", "all"):
        rows += _manifest("faces", 2)
    if which in ("faces2", "real", "all"):
        rows += _manifest("faces2", 2)
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


def key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def table(title: str, outcomes: list[tuple[set[str], set[str], set[str]]]) -> None:
    """outcomes: (expected, refused, warned) per photo."""
    print(f"\n{title}: {len(outcomes)} photos")
    print("| flaw | named / photos with it | of which refused | false refusals | false warnings |")
    print("|---|---|---|---|---|")
    for flaw in FLAWS:
        has = [(r, w) for e, r, w in outcomes if flaw in e]
        named = sum(flaw in r | w for r, w in has)
        refused = sum(flaw in r for r, w in has)
        false_r = sum(flaw in r for e, r, w in outcomes if flaw not in e)
        false_w = sum(flaw in w - r for e, r, w in outcomes if flaw not in e)
        print(f"| {flaw} | {named}/{len(has)} | {refused} | {false_r} | {false_w} |")
    groups = [r for e, r, w in outcomes if "multiple_faces" in e]
    print(f"groups refused: {sum('multiple_faces' in r for r in groups)}/{len(groups)}")
    flawed = [(e, r, w) for e, r, w in outcomes if e - {"multiple_faces"}]
    named_any = sum(bool(e & (r | w)) for e, r, w in flawed)
    named_all = sum(e <= (r | w) for e, r, w in flawed)
    refused_any = sum(bool(e & r) for e, r, w in flawed)
    print(f"flawed photos named: {named_any}/{len(flawed)} (every labelled flaw named: {named_all}; "
          f"refused for a labelled flaw: {refused_any})")
    good = [(r, w) for e, r, w in outcomes if not e]
    bad_r = [sorted(r) for r, w in good if r]
    bad_w = [sorted(w - r) for r, w in good if not r and w - r]
    print(f"good faces refused (face flaw, blur, no face, extra face): {len(bad_r)}/{len(good)} "
          f"{' '.join('+'.join(c) for c in bad_r)}")
    print(f"good faces with a face-flaw warning (not refused): {len(bad_w)}/{len(good)} "
          f"{' '.join('+'.join(c) for c in bad_w)}")


def by_check(title: str, findings: list[tuple[set[str], list]]) -> None:
    """Per check (code + measure): on how many photos labelled with its code it fired (refused / warned), and
    on how many good faces."""
    print(f"\n{title}: per check")
    print("| check (measure) | fired on photos with the flaw: refused / warned / photos | fired on good faces: refused / warned |")
    print("|---|---|---|")
    seen = sorted({(f.code, f.measure or "-") for _, fs in findings for f in fs if f.code in SCORED})
    for code, measure in seen:
        hit = [(e, [f for f in fs if f.code == code and (f.measure or "-") == measure]) for e, fs in findings]
        flawed = [fs for e, fs in hit if code in e]
        good = [fs for e, fs in hit if not e]
        count = lambda group, level: sum(any(f.level == level for f in fs) for fs in group)  # noqa: E731
        print(f"| `{code}` ({measure}) | {count(flawed, 'refuse')} / {count(flawed, 'warn')} / {len(flawed)} | "
              f"{count(good, 'refuse')} / {count(good, 'warn')} of {len(good)} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", default="real", choices=("real", "faces", "faces2", "portraits", "frames", "all"))
    parser.add_argument("--format", default="chsi-2017")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per TUNING photo")
    parser.add_argument("--by-check", action="store_true", help="also a table per check (code + measure)")
    parser.add_argument("--dump", type=Path, help="write the tuning photos' measures and labels (JSON lines)")
    args = parser.parse_args()
    if not TESTDATA.is_dir():
        print(f"team fixtures not found at {TESTDATA}")
        return 1
    preset = load_preset(args.format)
    rows = labelled(args.set)
    held = held_out()
    pipeline.process(rows[0][0].read_bytes(), preset, render=False)     # load the models (not timed)
    parts: dict[str, list[tuple[set[str], set[str], set[str]]]] = defaultdict(list)
    times = []
    findings: dict[str, list[tuple[set[str], list]]] = defaultdict(list)
    dump = args.dump.open("w") if args.dump else None
    for path, expected in rows:
        data = path.read_bytes()
        t = time.perf_counter()
        result = pipeline.process(data, preset, render=False)
        times.append((time.perf_counter() - t) * 1000)
        refused = {r.code for r in result.reasons} & set(SCORED)
        warned = {w.code for w in result.warnings} & set(SCORED)
        part = "held" if key(path) in held else "tune"
        parts[part].append((expected, refused, warned))
        findings[part].append((expected, list(result.reasons) + list(result.warnings)))
        if part == "held":
            continue
        if dump:
            dump.write(json.dumps({"file": key(path), "expected": sorted(expected), "refused": sorted(refused),
                                   "warned": sorted(warned), "measures": result.measures}) + "\n")
        if args.verbose:
            print(f"  {key(path)[:44]:44} expected {' '.join(sorted(expected)) or 'good':28} "
                  f"refused {' '.join(sorted(refused)) or '-':28} warned {' '.join(sorted(warned - refused)) or '-'}")
    print(f"{len(rows)} labelled photos ({args.set}), preset {args.format}")
    table("TUNING part", parts["tune"])
    if args.by_check:
        by_check("TUNING part", findings["tune"])
    if parts["held"]:
        table("HELD-OUT part (bench/verdict_holdout.tsv; never tuned on)", parts["held"])
        if args.by_check:
            by_check("HELD-OUT part", findings["held"])
    print(f"\ntime per photo (bytes -> verdict): median {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms (n={len(times)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
