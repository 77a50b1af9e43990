"""Probe (nothing here runs in the product): would a small learned classifier on the verdict's own measures name
headwear, glasses, hair and expression better than the hand-set bands?

For each flaw, an L2-regularised logistic regression over the ~34 face measures `pipeline.process` already reports
(pose, eyes, mouth, glasses, forehead cover, the face parser's hat and eyeglasses shares, colours, light), fitted
on the TUNING part of the labelled real sets only (bench/verdict_holdout.tsv is never fitted on), its threshold
set so that at most one good tuning face scores above it.
Prints, per flaw and regularisation: named on the tuning part, named on the
held-out part, held-out good faces above the threshold, held-out photos with other flaws above it.
Run: .venv/bin/python bench/verdict_classifier_probe.py   (about a minute)
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pipeline  # noqa: E402
from config.formats import load_preset  # noqa: E402
from eval_verdict import held_out, key, labelled  # noqa: E402

# frame and backdrop measures say nothing about the face
SKIP = {"faces", "croppable", "score", "presence", "iod_px", "background_spread", "background_distance",
        "clothing_colour", "clothing_distance", "shoulders_deg"}


def _fit(z: np.ndarray, y: np.ndarray, lam: float, steps: int = 3000, rate: float = 0.1) -> tuple[np.ndarray, float]:
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= rate * (z.T @ (p - y) / len(y) + lam * w / len(y))
        b -= rate * float((p - y).mean())
    return w, b


def main() -> int:
    preset, held = load_preset("chsi-2017"), held_out()
    rows = []
    for path, expected in labelled("real"):
        if "multiple_faces" in expected:
            continue
        result = pipeline.process(path.read_bytes(), preset, render=False)
        if result.measures.get("faces") == 1.0:
            rows.append((key(path) in held, expected, result.measures))
    names = sorted(k for k in set().union(*(m.keys() for _, _, m in rows))
                   if k not in SKIP and not k.startswith(("expected", "crop"))
                   and sum(k in m for _, _, m in rows) > 0.8 * len(rows))
    x = np.array([[m.get(k, np.nan) for k in names] for _, _, m in rows], float)
    tune = np.array([not h for h, _, _ in rows])
    x = np.where(np.isnan(x), np.nanmedian(x[tune], axis=0), x)
    z = (x - x[tune].mean(0)) / (x[tune].std(0) + 1e-9)
    good = np.array([not e for _, e, _ in rows])
    print(f"{len(rows)} single-face photos, {len(names)} measures as features")
    print("| flaw | L2 | named tuning | named held-out | held-out good above | held-out other flaws above |")
    print("|---|---|---|---|---|---|")
    for flaw in ("headwear", "glasses", "hair_over_face", "expression"):
        y = np.array([flaw in e for _, e, _ in rows], float)
        for lam in (1.0, 10.0):
            w, b = _fit(z[tune], y[tune], lam)
            score = z @ w + b
            above = score > np.sort(score[tune & good])[-2] + 1e-6
            pos = y == 1
            print(f"| {flaw} | {lam:g} | {int((above & tune & pos).sum())}/{int((tune & pos).sum())} | "
                  f"{int((above & ~tune & pos).sum())}/{int((~tune & pos).sum())} | "
                  f"{int((above & ~tune & good).sum())}/{int((~tune & good).sum())} | "
                  f"{int((above & ~tune & ~good & ~pos).sum())}/{int((~tune & ~good & ~pos).sum())} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
