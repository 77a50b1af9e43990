"""Figures for the structure issue: classes with many methods and long functions in station/ (and the rest).

    python tools/code_shape.py [ROOT]

Prints the classes over 20 methods, the largest class, and the functions over 60 lines, per package, so a
before/after comparison is one command on two checkouts.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGES = ("station", "camera", "pipeline", "config")


def shape(root: Path) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    classes: list[tuple[str, int]] = []
    functions: list[tuple[str, int]] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            rel = path.relative_to(root)
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
                    classes.append((f"{rel}:{node.name}", len(methods)))
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    functions.append((f"{rel}:{node.name}", (node.end_lineno or node.lineno) - node.lineno + 1))
    return classes, functions


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1]
    classes, functions = shape(root)
    big = sorted((c for c in classes if c[1] > 20), key=lambda c: -c[1])
    long = sorted((f for f in functions if f[1] > 60), key=lambda f: -f[1])
    in_station = [c for c in big if c[0].startswith("station")]
    print(f"classes over 20 methods: {len(big)} (station/: {len(in_station)}); "
          f"largest: {big[0][0]} {big[0][1]}" if big else "classes over 20 methods: 0")
    for name, n in big:
        print(f"  {n:3d}  {name}")
    print(f"functions over 60 lines: {len(long)}")
    for name, n in long:
        print(f"  {n:3d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
