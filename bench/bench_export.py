"""Benchmark `station export`: 5,000 accepted students from two station workspaces.

    .venv/bin/python bench/bench_export.py [--students 5000] [--looks 8] [--keep DIR] [--zip]

Builds two real workspaces (real journals, real files) quickly: ONE real finished photo per distinct look is
rendered by the pipeline and its bytes reused for many takes (every photo passes `pipeline.validate`), fsync
is off while building. The export itself then runs in a fresh child process, exactly as the CLI runs it
(fsync on; a photo is validated unless its verdict kept the validation made when the station rendered it, as
today's station does — `--unvalidated` builds a day without it), then again over the unchanged day (validation results are kept by sha256,
unchanged files are left alone), and that process reports photos per second, the re-export's cost as a share
of the first, and its peak memory (RSS). Goals: >= 150 photos/s, re-export <= 10% of the first, < 300 MB.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def distinct(photo, index: int):
    """The look's photo with one pixel nudged and re-encoded: same face, different bytes, still valid.

    A real day has thousands of different photos, so the export's "validate identical bytes once" cache
    must not make the benchmark look faster than a day's export is."""
    import io
    from PIL import Image
    import workspace_factory as wf
    from pipeline.render import encode
    from PIL import ImageDraw
    image = Image.open(io.BytesIO(photo.jpeg)).convert("RGB")
    # an 8x8 patch in the backdrop's top-left corner, its shade set by the index: survives JPEG quantisation
    x, y = 8 * (index % 6), 8 * ((index // 6) % 4)
    shade = 60 + (index // 24) % 160
    ImageDraw.Draw(image).rectangle((x, y, x + 7, y + 7), fill=(shade, 60 + 90 * (index // 3840), 255 - shade // 2))
    jpeg = encode(image, 85, 300)
    verdict = {k: v for k, v in photo.verdict.items() if k != "validation"}
    if KEEP_VALIDATION:     # as the station does when it renders a photo (Session._process)
        from station.core.validation import kept_result
        verdict["validation"] = kept_result(jpeg, wf._preset())
    return wf.Photo(jpeg, verdict)


#: photos carry the validation the station made when it rendered them (off: a day shot before that existed)
KEEP_VALIDATION = True


def build(base: Path, students: int, looks: int, stub: bool, same_bytes: bool) -> list[Path]:
    import workspace_factory as wf
    photos = [(_stub_photo(i) if stub else wf.finished_photo(i)) for i in range(looks)]
    pick = (lambda i, r: photos[i % looks]) if same_bytes or stub else (
        lambda i, r: distinct(photos[i % looks], int(r["student_no"][-6:]) if r.get("student_no") else i))
    rows = wf.roster_rows(students, classes_per_college=10)
    half = students // 2
    paths = []
    t0 = time.perf_counter()
    with wf.bulk():
        for index, (station, part) in enumerate((("S1", rows[:half]), ("S2", rows[half:]))):
            path = base / f"ws{index + 1}"
            store = wf.new_workspace(path, station)
            wf.fast_journal(store)
            store.upsert_subjects(rows, source_file="bench")      # both stations hold the whole roster
            wf.populate(store, part, outcome=lambda i, r: "accept", photo=pick,
                        roster=False)
            store.close()
            paths.append(path)
    print(f"built {students} accepted students in 2 workspaces in {time.perf_counter() - t0:.1f}s "
          f"({looks} looks, {'shared' if same_bytes or stub else 'distinct'} bytes per student)", flush=True)
    return paths


def _stub_photo(seed: int):
    """Only with --stub (no pipeline yet): a 480x640 JPEG; validation is then the stand-in's size check."""
    import io
    from PIL import Image
    import workspace_factory as wf
    buf = io.BytesIO()
    Image.effect_noise((480, 640), 30 + seed).convert("RGB").save(buf, "JPEG", quality=60)
    return wf.Photo(buf.getvalue(), {"ok": True, "stub": True})


def _install_stub() -> None:
    import io
    from types import SimpleNamespace
    from PIL import Image
    import pipeline

    def validate(jpeg: bytes, preset):
        size = Image.open(io.BytesIO(jpeg)).size
        ok = size == (preset.file.width, preset.file.height)
        return SimpleNamespace(ok=ok, rules=(SimpleNamespace(rule="size", status="pass" if ok else "fail",
                                                             detail=str(size)),))
    pipeline.validate = validate


def run_child(out: Path, workspaces: list[str], make_zip: bool, stub: bool) -> dict:
    """One export in this (fresh) process; returns figures."""
    if stub:
        _install_stub()
    from station.outputs.export import ExportOptions, run_export
    import os
    os.umask(0o077)
    figures = {}
    for label in ("first export", "re-export (unchanged)"):
        t0, c0 = time.perf_counter(), time.process_time()
        result = run_export(out, [Path(w) for w in workspaces], ExportOptions(zip=make_zip))
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        if not result.ok:
            raise SystemExit("export refused: " + "; ".join(result.problems()[:5]))
        figures[label] = {"photos": result.exported, "written": result.written, "seconds": round(seconds, 2),
                          "cpu_seconds": round(cpu, 3),
                          "photos_per_second": round(result.exported / seconds, 1)}
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["worker_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--looks", type=int, default=8, help="distinct finished photos rendered for real")
    parser.add_argument("--keep", type=Path, default=None, help="build in this folder and keep it")
    parser.add_argument("--day", type=Path, default=None,
                        help="build the day in this folder once and reuse it on later runs (its export "
                             "folder is emptied first), so two versions of the code can be timed on one day")
    parser.add_argument("--zip", action="store_true", help="also write the per-college zips")
    parser.add_argument("--same-bytes", action="store_true",
                        help="reuse identical bytes per look (validation cache hits: optimistic)")
    parser.add_argument("--stub", action="store_true", help="no pipeline yet: stand-in photos and validate")
    parser.add_argument("--unvalidated", action="store_true",
                        help="photos without the validation kept at render time: the export validates each")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global KEEP_VALIDATION
    KEEP_VALIDATION = not args.unvalidated
    if args.child:
        print(json.dumps(run_child(Path(args.child[0]), args.child[1:], args.zip, args.stub)))
        return 0
    if not args.stub:
        import pipeline
        if not hasattr(pipeline, "validate"):
            print("pipeline.validate is not available yet (use --stub for a stand-in run)", file=sys.stderr)
            return 2
    base = args.day or args.keep or Path(tempfile.mkdtemp(prefix="bench-export-"))
    base.mkdir(parents=True, exist_ok=True)
    built = [base / "ws1", base / "ws2"]
    if args.day is not None and all(w.is_dir() for w in built):
        import shutil
        shutil.rmtree(base / "out", ignore_errors=True)
        workspaces = built
        print(f"reusing the day built in {base}", flush=True)
    else:
        workspaces = build(base, args.students, args.looks, args.stub, args.same_bytes)
    cmd = [sys.executable, __file__, "--child", str(base / "out"), *map(str, workspaces)]
    cmd += ["--zip"] * args.zip + ["--stub"] * args.stub
    child = subprocess.run(cmd, capture_output=True, text=True)
    if child.returncode != 0:
        print(child.stderr, file=sys.stderr)
        return child.returncode
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    for label in ("first export", "re-export (unchanged)"):
        f = figures[label]
        print(f"{label}: {f['photos']} photos in {f['seconds']} s = {f['photos_per_second']} photos/s "
              f"({f['written']} written; this process's CPU {f['cpu_seconds']} s: steadier than wall time "
              f"on a busy machine)")
    share = figures["re-export (unchanged)"]["seconds"] / max(figures["first export"]["seconds"], 1e-9)
    print(f"re-export of the unchanged day: {share:.1%} of the first")
    print(f"peak memory: exporting process {figures['peak_rss_mb']} MB, largest validation worker "
          f"{figures['worker_peak_rss_mb']} MB")
    print(f"goals: >= 150 photos/s, re-export <= 10%, < 300 MB"
          f"{' [STUB validate: not the real pipeline]' if args.stub else ''}")
    if args.keep is None and args.day is None:
        import shutil
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
