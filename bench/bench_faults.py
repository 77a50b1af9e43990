"""The fault suite's long form: the figures issue 11 asks for, printed.

    .venv/bin/python bench/bench_faults.py [--quick]

1. kill -9 at ~100 points across capture, ingest and export (tests/fault_scenarios.py: real subprocesses
   killed by the fault hook), then: acknowledged frames lost, stuck stations, exports identical to a clean one;
2. a full disk (a 3 MB tmpfs; needs root, else reported as skipped): tracebacks, acknowledged frames lost,
   read-only commands answering;
3. 200 hostile files (160 damaged pictures through the pipeline and import-photos, 40 hostile rosters through
   the import): tracebacks, half-imports, damaged photos passed;
1b. two processes on one journal (the runtime as `station console` runs it, and the desk's CLI beside it),
   one or both killed at named points: acknowledged events lost, shooting numbers given twice, -wal/-shm lost;
4. outputs: formula cells in every CSV, files written outside OUTDIR through a symlinked folder, full ID
   numbers anywhere but the export manifest (an ID-number session through every command that prints it).
No timings: these are counts. `--quick` runs a third of the kill points.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("VCAMERADIR", tempfile.mkdtemp(prefix="bench-vcam-"))   # before gphoto2 is imported

import fault_scenarios as fs  # noqa: E402
import workspace_factory as wf  # noqa: E402


def line(label: str, value: object) -> None:
    print(f"  {label:58s} {value}")


# ---------------------------------------------------------------------------------------------- 1. kills
def kills(base: Path, quick: bool) -> None:
    outcomes: list[fs.Outcome] = []
    befores = (0, 1, 2, 3)[: 2 if quick else 4]
    for before in befores:
        for step in fs.CAPTURE_STEPS:
            outcomes.append(fs.capture_scenario(Path(tempfile.mkdtemp(dir=base)), step, before=before))
    hits = (1, 2, 3, 4)[: 2 if quick else 4]
    for hit in hits:
        for step in fs.INGEST_STEPS:
            outcomes.append(fs.ingest_scenario(Path(tempfile.mkdtemp(dir=base)), f"{step}#{hit}", frames=4))
    ws = fs.export_workspace(Path(tempfile.mkdtemp(dir=base)), students=9)
    steps = fs.export_steps(ws, base)
    clean_out = base / "clean-export"
    assert fs.cli(ws, "export", str(clean_out), "--zip").exit_code == 0
    clean = wf.file_hashes(clean_out)
    exports = [fs.export_scenario(ws, clean, Path(tempfile.mkdtemp(dir=base)) / "out", step)
               for step in (steps[::3] if quick else steps)]
    outcomes += exports
    killed = [o for o in outcomes if o.killed]
    print(f"kill -9 at {len(outcomes)} points (capture {len(befores) * len(fs.CAPTURE_STEPS)}, ingest "
          f"{len(hits) * len(fs.INGEST_STEPS)}, export {len(exports)})")
    line("points reached and killed", f"{len(killed)}/{len(outcomes)}")
    line("acknowledged frames lost", sum(o.lost for o in outcomes))
    line("stuck stations (could not shoot / answer after restart)", sum(o.stuck for o in outcomes))
    line("frames stored twice", sum(o.duplicates for o in outcomes))
    line("exports re-run to output identical to a clean one", f"{sum(bool(o.identical) for o in exports)}"
                                                                f"/{len(exports)}")
    line("tracebacks", sum(o.tracebacks for o in outcomes))
    for o in outcomes:
        if o.lost or o.stuck or o.duplicates or o.tracebacks or o.identical is False or not o.killed:
            print(f"    ! {o.point}: {o}")


# ---------------------------------------------------------------------------------------------- 1b. two processes
def two_processes(base: Path, quick: bool) -> None:
    """The runtime (console) and the desk's CLI on one journal, one or both killed at each named point."""
    points = fs.TWO_PROCESS_POINTS[::2] if quick else fs.TWO_PROCESS_POINTS
    outcomes = [fs.two_process_scenario(Path(tempfile.mkdtemp(dir=base)), point) for point in points]
    print(f"two processes on one journal (runtime + desk CLI), kill -9 at {len(outcomes)} points")
    line("points tried / reached and killed", f"{len(outcomes)} / {sum(o.killed for o in outcomes)}")
    line("events acknowledged (both processes)", sum(o.acknowledged for o in outcomes))
    line("acknowledged events lost (must be 0)", sum(o.lost for o in outcomes))
    line("shooting numbers given twice", sum(o.numbers_twice for o in outcomes))
    line("-wal/-shm gone while the runtime ran", sum(o.wal_missing for o in outcomes))
    line("new readers failing (status, integrity_check)", sum(o.reader_failed for o in outcomes))
    line("tracebacks", sum(o.tracebacks for o in outcomes))
    for o in outcomes:
        if o.lost or o.numbers_twice or o.wal_missing or o.reader_failed or o.tracebacks or not o.killed:
            print(f"    ! {o.point}: {o}")


# ---------------------------------------------------------------------------------------------- 2. disk full
def disk_full(base: Path) -> None:
    print("disk full (3 MB tmpfs)")
    disk = base / "disk"
    disk.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs",
                                                    str(disk)], capture_output=True).returncode == 0
    if not mounted:
        line("skipped", "cannot mount a tmpfs here (needs root)")
        return
    from small_disk import fill, free
    try:
        ws = disk / "ws"
        tracebacks, acked, commands = 0, [], 0
        for args in (("init", "--camera", "virtual"), ("checkin", "CJM-1")):
            commands += 1
            tracebacks += "Traceback" in fs.station(ws, *args).stderr
        shot = fs.station(ws, "capture", "--json")
        commands += 1
        tracebacks += "Traceback" in shot.stderr
        acked.append(json.loads(shot.stdout))
        fill(disk, leave=120_000)
        for _ in range(4):                      # shots on a nearly full disk, until it is full
            done = fs.station(ws, "capture", "--json")
            commands += 1
            tracebacks += "Traceback" in done.stderr
            if done.returncode == 0:
                acked.append(json.loads(done.stdout))
        fill(disk)
        answered, reads = 0, (("status",), ("review",), ("report",), ("export", str(base / "out")))
        for args in reads:
            done = fs.station(ws, *args)
            commands += 1
            tracebacks += "Traceback" in done.stderr
            answered += done.returncode == 0
        for args in (("checkin", "CJM-2"), ("capture",), ("accept",), ("skip",), ("export", str(disk / "o"))):
            commands += 1
            tracebacks += "Traceback" in fs.station(ws, *args).stderr
        free(disk)
        journalled = fs._journalled(ws)
        lost = sum(1 for a in acked if a["take"] not in journalled.get(a["sha256"], []))
        line(f"tracebacks ({commands} commands on a nearly full, then full disk)", tracebacks)
        line("acknowledged frames lost", f"{lost} (of {len(acked)})")
        line("read-only commands answering (status, review, report, export)", f"{answered}/{len(reads)}")
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


# ---------------------------------------------------------------------------------------------- 3. hostile
def hostile(base: Path) -> None:
    import hostile_images as hi
    import pipeline
    from config.errors import DomainError
    from config.formats import load_preset
    preset = load_preset("chsi-2017")
    images = hi.hostile_set(160)
    tracebacks = passed = 0
    for item in images:
        try:
            pipeline.process(item.data, preset)
            passed += item.must_refuse
        except DomainError:
            pass
        except Exception:  # noqa: BLE001 - counted: this is what the figure is about
            tracebacks += 1
    inbox = base / "inbox"
    inbox.mkdir()
    for i, item in enumerate(images):
        (inbox / f"{i:03d}_2019001.jpg").write_bytes(item.data)
    ws = base / "hostile-ws"
    store = wf.new_workspace(ws)
    store.upsert_subjects(wf.roster_rows(1), source_file="r.csv")
    code = store.subjects()[0].code
    store.close()
    for p in inbox.iterdir():
        p.rename(p.with_name(p.name.replace("2019001", code)))
    done = fs.cli(ws, "import-photos", str(inbox), "--json")
    tracebacks += fs._traceback(done)
    report = json.loads(done.stdout) if done.exit_code == 0 else {"files": []}
    must = {f"{i:03d}_{code}.jpg" for i, item in enumerate(images) if item.must_refuse}
    passed += sum(1 for f in report["files"] if f["file"] in must and f["status"] == "imported")

    roster_tracebacks, half = _rosters(base / "rosters", 40)
    print(f"hostile files: {len(images)} pictures + 40 rosters")
    line("tracebacks", tracebacks + roster_tracebacks)
    line("half-imports (a refused roster that changed the workspace)", half)
    line("damaged photos passed (pipeline or import-photos)", passed)


def _rosters(folder: Path, count: int) -> tuple[int, int]:
    """`count` hostile roster files (hostile cells in CSV, damaged XLSX) through the public import."""
    import random
    from config.errors import DomainError
    from station.identity.roster import import_roster
    from test_fuzz import XLSX, mutate
    rng = random.Random(7)
    cells = ["=HYPERLINK(\"x\")", "2019\u200b001", "\u202e名字", "a\x00b", "\"unterminated", "张三", "", "\t"]
    tracebacks = half = 0
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        ws = folder / f"ws{i}"
        store = wf.new_workspace(ws)
        store.upsert_subjects([{"code": "KEEP1", "student_no": "KEEP1", "name": "原有"}], source_file="first.csv")
        path = folder / (f"r{i}.csv" if i % 2 == 0 else f"r{i}.xlsx")
        if i % 2 == 0:
            text = io.StringIO()
            text.write("学号,姓名,学院\n")
            csv.writer(text).writerows([[rng.choice(cells) + str(rng.randrange(9)) for _ in range(3)]
                                        for _ in range(rng.randrange(1, 6))])
            path.write_bytes(text.getvalue().encode("utf-8"))
        else:
            path.write_bytes(mutate(XLSX, rng.choice(["truncate", "flip", "header"]), rng.randrange(1 << 30),
                                    rng.randrange(8), rng.randrange(256)))
        try:
            import_roster(store, path)
        except DomainError:
            half += [s.code for s in store.subjects()] != ["KEEP1"]
        except Exception:  # noqa: BLE001 - counted
            tracebacks += 1
        store.close()
    return tracebacks, half


# ---------------------------------------------------------------------------------------------- 4. outputs
def outputs(base: Path) -> None:
    from station.core.csvsafe import FORMULA_START
    from test_csv_safety import HOSTILE
    rows = wf.roster_rows(14)
    for row, name in zip(rows, HOSTILE + HOSTILE):
        row["name"] = name
    ws = base / "csv-ws"
    store = wf.new_workspace(ws)
    wf.populate(store, rows, outcome=lambda i, r: "accept" if i % 2 == 0 else "absent", photo=wf.finished_photo(0))
    store.close()
    out = base / "csv-out"
    fs.cli(ws, "export", str(out))
    fs.cli(ws, "report", "--format", "csv", "--out", str(base / "report.csv"))
    formula = 0
    for path in [*out.rglob("*.csv"), base / "report.csv"]:
        for row in csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")):
            formula += sum(1 for v in row if v.startswith(FORMULA_START) and v != "-"
                           and not v.lstrip("+-").isdigit())
    # a symlinked college folder, before and after a good export
    outside = base / "outside"
    outside.mkdir()
    link_out = base / "link-out"
    link_out.mkdir()
    (link_out / rows[0]["college"]).symlink_to(outside, target_is_directory=True)
    fs.cli(ws, "export", str(link_out))
    (link_out / rows[0]["college"]).unlink()
    fs.cli(ws, "export", str(link_out))
    shutil.rmtree(link_out / rows[0]["college"])
    (link_out / rows[0]["college"]).symlink_to(outside, target_is_directory=True)
    fs.cli(ws, "export", str(link_out), "--zip")
    written_outside = sum(1 for p in outside.rglob("*") if p.is_file())
    full_ids = _full_ids(base / "id-session")
    print("outputs")
    line("formula cells (manifest, missing, summary, report csv)", formula)
    line("files written outside OUTDIR (symlinked college folder)", written_outside)
    line("full ID numbers outside the manifest (ID-number session)", full_ids)


def _full_ids(base: Path) -> int:
    """Shoot, accept, rebind and report a roster-less subject whose code IS an ID number; count where the
    full number appears (stdout, stderr, files) other than the export manifest, which carries it on purpose."""
    ws = base / "ws"
    number = wf.id_number(5)
    printed = []
    for args in (("init", "--camera", "virtual"), ("checkin", number), ("capture",), ("capture", "--json"),
                 ("accept",), ("checkin", wf.id_number(6)), ("capture",), ("rebind", "3", number),
                 ("review",), ("status",), ("status", "--json"), ("report",), ("report", "--format", "json")):
        done = fs.cli(ws, *args)
        printed.append((" ".join(args), done.output))
    fs.cli(ws, "export", str(base / "out"))
    found = sum(text.count(number) for _cmd, text in printed)
    for path in (base / "out").rglob("*"):
        # the manifest carries the number on purpose; the export's own state file lists the photos by their file
        # names, which the registry's naming makes ID numbers (as the photo files themselves are named)
        if path.is_file() and path.name not in ("manifest.csv", ".station-export.json") \
                and path.suffix in (".csv", ".json", ".txt", ".html"):
            found += path.read_text("utf-8", errors="replace").count(number)
    for path in (ws / "originals").rglob("*"):
        found += path.name.count(number)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a third of the kill points")
    parser.add_argument("--two-processes", action="store_true", help="only the two-process table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        base = Path(tmp)
        (base / "two").mkdir()
        if args.two_processes:
            two_processes(base / "two", args.quick)
            return
        (base / "kills").mkdir()
        kills(base / "kills", args.quick)
        two_processes(base / "two", args.quick)
        disk_full(base)
        hostile(base)
        outputs(base)


if __name__ == "__main__":
    main()
