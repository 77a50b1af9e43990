"""The module map of ARCHITECTURE.md: lines of Python per package, so the table is re-measured, not guessed.

    python tools/module_map.py [ROOT]

Prints one Markdown row per package (station/ and each of its sub-packages, camera, pipeline, config, tests).
"""
from __future__ import annotations

import sys
from pathlib import Path

PACKAGES = ("camera", "pipeline", "config", "tests")


def lines(paths: list[Path]) -> int:
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in paths)


def rows(root: Path) -> list[tuple[str, int, int]]:
    """(package, lines, files) for station/ as a whole, each station sub-package, then the other packages."""
    station = sorted((root / "station").rglob("*.py"))
    found = [("station/ (all)", lines(station), len(station))]
    for sub in sorted(p for p in (root / "station").iterdir() if p.is_dir() and any(p.glob("*.py"))):
        files = sorted(sub.rglob("*.py"))
        found.append((f"station/{sub.name}", lines(files), len(files)))
    for package in PACKAGES:
        files = sorted((root / package).rglob("*.py"))
        found.append((package, lines(files), len(files)))
    return found


if __name__ == "__main__":
    for name, count, files in rows(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(f"| {name} | {count} | {files} |")
