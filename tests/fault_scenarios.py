"""Kill -9 at named steps of capture, ingest and export, and what must hold afterwards.

Shared by tests/test_faults.py (a short selection, in `make test`) and bench/bench_faults.py (100 points and
the issue's figures). The process that dies is always a real subprocess (the real CLI for capture and
export; for ingest, a child that runs the real hot-folder camera and the real store the way the station's
controller does), killed by the one fault hook (config/faults.py: STATION_FAULT=step[#hit]). Everything after
the kill goes through the real CLI too. Each scenario returns an Outcome; the caller asserts or counts.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]

#: capture: the original's temp file and link, the journal commit, the render's temp file and link, the verdict
CAPTURE_STEPS = ("store.temp_written#1", "store.linked#1", "capture.before_commit", "capture.committed",
                 "store.temp_written#2", "store.linked#2", "verdict.before_commit")
#: ingest: handed over (ledger "handed"), stored but not acknowledged, acknowledged (hit n = n-th frame)
INGEST_STEPS = ("ingest.handed", "store.linked", "capture.before_commit", "capture.committed",
                "ingest.before_ack", "ingest.acknowledged")
#: export: the plan's promise, each rename (before and after), the state file, the journal note
EXPORT_FIXED = ("export.promised", "export.before_state", "export.before_journal")


@dataclass
class Outcome:
    point: str
    killed: bool                   # the process reached the step and died there
    lost: int = 0                  # acknowledged frames missing or changed afterwards
    stuck: bool = False            # the station could not go on (capture/status failed after restart)
    identical: bool | None = None  # export: the re-run equals a clean export
    duplicates: int = 0            # one frame stored as two takes
    tracebacks: int = 0
    detail: str = ""


def env(fault: str | None = None) -> dict[str, str]:
    out = {**os.environ, "PYTHONPATH": str(ROOT)}
    out.pop("STATION_FAULT", None)
    if fault:
        out["STATION_FAULT"] = fault
    return out


def station(ws: Path, *args: str, fault: str | None = None, timeout: float = 300
            ) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess."""
    return subprocess.run([sys.executable, "-m", "station.cli.main", "-w", str(ws), *args], capture_output=True,
                          text=True, env=env(fault), cwd=ROOT, timeout=timeout)


def cli(ws: Path, *args: str) -> Any:
    """The real CLI in this process (for the steps that are not killed: faster, same code)."""
    from station.cli.main import cli as group
    return CliRunner().invoke(group, ["-w", str(ws), *args])


def _traceback(result: Any) -> bool:
    text = (getattr(result, "stderr", "") or "") + (getattr(result, "output", "") or "")
    return "Traceback" in text or (getattr(result, "exception", None) is not None
                                   and not isinstance(result.exception, SystemExit))


def _journalled(ws: Path) -> dict[str, list[int]]:
    """sha256 of every original -> take ids, read from the journal (and checked against the bytes on disk)."""
    from station.store.workspace import Store
    found: dict[str, list[int]] = {}
    with Store.open(ws) as store:
        for take in store.takes():
            for f in take.files:
                path = ws / f.file
                if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == f.sha256:
                    found.setdefault(f.sha256, []).append(take.id)
    return found


# ---------------------------------------------------------------------------------------------- capture
def capture_scenario(base: Path, step: str, *, before: int = 1) -> Outcome:
    """`before` acknowledged captures, then one killed at `step`, then the station must go on."""
    ws = base / "ws"
    assert cli(ws, "init", "--camera", "virtual").exit_code == 0
    acked: list[dict[str, Any]] = []
    for i in range(before):
        assert cli(ws, "checkin", f"CJM-{i:03d}").exit_code == 0
        shot = cli(ws, "capture", "--json")
        assert shot.exit_code == 0, shot.output
        acked.append(json.loads(shot.stdout))
        assert cli(ws, "accept").exit_code == 0
    assert cli(ws, "checkin", "CJM-KILLED").exit_code == 0
    killed = station(ws, "capture", "--json", fault=step)
    out = Outcome(step, killed.returncode == -9, tracebacks=int("Traceback" in killed.stderr))
    if killed.returncode == 0:
        acked.append(json.loads(killed.stdout))
    status = cli(ws, "status", "--json")
    again = cli(ws, "capture", "--json")        # the same student, shot again: never blocked by leftovers
    out.tracebacks += _traceback(status) + _traceback(again)
    out.stuck = status.exit_code != 0 or again.exit_code != 0
    if not out.stuck:
        acked.append(json.loads(again.stdout))
        out.stuck = cli(ws, "accept").exit_code != 0
    journalled = _journalled(ws)
    out.lost = sum(1 for shot in acked if shot["take"] not in journalled.get(shot["sha256"], []))
    after = json.loads(cli(ws, "status", "--json").stdout)
    if after["orphans"] or after["temp_files"]:
        out.stuck, out.detail = True, f"left behind: {after['orphans'] + after['temp_files']}"
    return out


# ---------------------------------------------------------------------------------------------- ingest
INGEST_CHILD = textwrap.dedent("""
    import hashlib, json, sys
    from pathlib import Path
    from camera.spec import open_camera
    from station.store.models import CapturedFile
    from station.store.workspace import Store

    ws, folder, want = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = Store.open(ws)
    store.recover()                      # a crash's leftovers first (what the station does at start)
    camera = open_camera(f"hotfolder:{folder}", state_dir=ws / "state", ack_on_delivery=False)
    done, idle = 0, 0
    while done < want and idle < 3:
        frames = camera.poll(1.0)
        if not frames:
            idle += 1
            continue
        idle = 0
        for frame in frames:
            sha = hashlib.sha256(frame.data).hexdigest()
            take_id = store.take_with_content(sha)     # re-offered after a crash, already journalled
            if take_id is None:
                take_id = store.record_capture([CapturedFile(frame.data, "jpeg", frame.name)], subject_id=None,
                                               source="hotfolder").id
            camera.acknowledge([frame])
            print(json.dumps({"sha256": sha, "take": take_id}), flush=True)
            done += 1
    camera.close()
    store.close()
""")


def _ingest(ws: Path, folder: Path, want: int, fault: str | None) -> subprocess.CompletedProcess[str]:
    script = ws.parent / "ingest_child.py"
    script.write_text(INGEST_CHILD, "utf-8")
    return subprocess.run([sys.executable, str(script), str(ws), str(folder), str(want)], capture_output=True,
                          text=True, env=env(fault), cwd=ROOT, timeout=300)


def ingest_scenario(base: Path, step: str, *, frames: int = 3) -> Outcome:
    """`frames` files in a hot folder; the ingesting process is killed at `step`, then restarted."""
    from hostile_images import jpeg
    ws, folder = base / "ws", base / "hot"
    folder.mkdir(parents=True)
    assert cli(ws, "init").exit_code == 0
    shas = []
    for i in range(frames):
        data = jpeg(20 + i, (640, 480))
        (folder / f"IMG_{i:04d}.JPG").write_bytes(data)
        shas.append(hashlib.sha256(data).hexdigest())
    first = _ingest(ws, folder, frames, step)
    out = Outcome(step, first.returncode == -9, tracebacks=int("Traceback" in first.stderr))
    acked = [json.loads(line) for line in first.stdout.splitlines() if line.strip()]
    second = _ingest(ws, folder, frames - len(acked), None)
    out.tracebacks += int("Traceback" in second.stderr)
    out.stuck = second.returncode != 0
    journalled = _journalled(ws)
    out.lost = sum(1 for a in acked if a["take"] not in journalled.get(a["sha256"], []))
    out.lost += sum(1 for sha in shas if sha not in journalled)          # a frame never stored at all
    out.duplicates = sum(len(takes) - 1 for takes in journalled.values())
    return out


# ---------------------------------------------------------------------------------------------- export
def export_workspace(base: Path, students: int = 6) -> Path:
    """A workspace with `students` accepted (one real rendered photo reused), for the export scenarios."""
    import workspace_factory as wf
    path = base / "export-ws"
    store = wf.new_workspace(path)
    wf.populate(store, wf.roster_rows(students), outcome=lambda i, r: "accept", photo=wf.finished_photo(0))
    store.close()
    return path


def export_steps(ws: Path, base: Path) -> list[str]:
    """Every kill point of an export of `ws` with --zip: the fixed ones plus each rename, before and after."""
    from station.outputs.export import ExportOptions, run_export
    import config.faults as faults
    counted = {"n": 0}
    real = faults.fault_point

    def count(step: str) -> None:
        counted["n"] += step == "export.after_rename"
    import station.outputs.outdir as outdir
    outdir.fault_point = count
    try:
        run_export(base / "count-out", [ws], ExportOptions(zip=True))
    finally:
        outdir.fault_point = real
    shutil.rmtree(base / "count-out")
    renames = counted["n"]
    return [*EXPORT_FIXED, *(f"export.{w}_rename#{k}" for k in range(1, renames + 1) for w in ("before", "after"))]


def export_scenario(ws: Path, clean: dict[str, str], out: Path, step: str) -> Outcome:
    """Kill an export at `step`; the re-run must give exactly the clean export's files, nothing hidden."""
    import workspace_factory as wf
    killed = station(ws, "export", str(out), "--zip", fault=step)
    result = Outcome(step, killed.returncode == -9, tracebacks=int("Traceback" in killed.stderr))
    rerun = cli(ws, "export", str(out), "--zip")
    result.tracebacks += _traceback(rerun)
    result.stuck = rerun.exit_code != 0
    hidden = sorted(p.name for p in out.rglob(".*") if p.name != ".station-export.json")
    result.identical = not result.stuck and wf.file_hashes(out) == clean and not hidden
    if not result.identical:
        result.detail = rerun.output[-500:] + (f" hidden: {hidden}" if hidden else "")
    return result


# ---------------------------------------------------------------------------------------------- two processes
#: the station's runtime in a process of its own, as `station console` runs it: the controller's worker with its
#: store, and beside it a second connection to the same journal (the console's read model). It takes commands
#: on stdin and prints one JSON line per acknowledged event, AFTER the event is committed.
RUNTIME_CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from config.settings import load_settings
    from station.session.runtime import StationRuntime
    from station.session.triggers import Accept, Scan, Shoot
    from station.store import journal
    from station.store.clock import SystemClock
    from station.store.queries import ReadModel
    from station.store.workspace import JOURNAL_FILE

    ws = Path(sys.argv[1])
    runtime = StationRuntime.open(ws, "virtual", poll_seconds=0.05).start()
    read = ReadModel(journal.connect(ws / JOURNAL_FILE), station_id=load_settings(ws).station.id,
                     clock=SystemClock())
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "quit":
            break
        event = {"scan": lambda: Scan(arg, via="console"), "shoot": Shoot, "accept": Accept}[cmd]()
        outcome = runtime.submit(event).result(timeout=120)
        ack = {"cmd": cmd, "ok": outcome.ok, "take": outcome.take_id, "subject": outcome.subject_id}
        if cmd == "scan" and outcome.ok:
            ack["shoot_no"] = read.shoot_no_today(outcome.subject_id)
            ack["code"] = arg
        print(json.dumps(ack), flush=True)
    runtime.stop()
""")

#: where a two-process run is cut: "runtime@N" kills the runtime with kill -9 right after its N-th
#: acknowledgement; "runtime:STEP" / "cli:STEP" let the fault hook kill that process (the runtime, or the desk's
#: first check-in) at STEP; "A+B" does both.
TWO_PROCESS_POINTS = ("runtime@3", "runtime@6", "runtime@9", "runtime:checkin.before_commit#2",
                      "runtime:capture.before_commit#2", "runtime:capture.committed#2",
                      "runtime:verdict.before_commit#2", "runtime:decision.before_commit#2",
                      "cli:checkin.before_commit", "cli:checkin.committed",
                      "cli:checkin.before_commit+runtime@7", "cli:checkin.committed+runtime:capture.committed#3",
                      "none")
#: the interleaving: the runtime's commands and the desk's CLI commands on the same journal
TWO_PROCESS_SCRIPT = (("runtime", "scan K001"), ("cli", "checkin K020 --queue --json"), ("runtime", "shoot"),
                      ("cli", "status --json"), ("runtime", "accept"), ("runtime", "scan K002"),
                      ("cli", "checkin K021 --queue --json"), ("runtime", "shoot"), ("runtime", "accept"),
                      ("cli", "checkin K022 --queue --json"), ("runtime", "scan K003"), ("runtime", "shoot"),
                      ("runtime", "accept"), ("cli", "status --json"))


@dataclass
class TwoProcessOutcome:
    point: str
    killed: bool                   # the named process died where the point says
    acknowledged: int = 0          # events both processes acknowledged before the end
    lost: int = 0                  # ... of them missing from the journal afterwards
    numbers_twice: int = 0         # a shooting number given to two students on one day at one station
    wal_missing: int = 0           # times -wal/-shm were gone while the runtime was still running
    reader_failed: bool = False    # a new reader (`station status`, integrity_check) could not read it
    tracebacks: int = 0
    detail: str = ""


class _Runtime:
    """The runtime child: send a command, read its acknowledgement (None once it has died)."""

    def __init__(self, ws: Path, fault: str | None) -> None:
        script = ws.parent / "runtime_child.py"
        script.write_text(RUNTIME_CHILD, "utf-8")
        self.proc = subprocess.Popen([sys.executable, str(script), str(ws)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(fault),
                                     cwd=ROOT)
        assert self.ask(None) == {"ready": True}, self.stderr()

    def ask(self, command: str | None) -> dict[str, Any] | None:
        try:
            if command is not None:
                assert self.proc.stdin is not None
                self.proc.stdin.write(command + "\n")
                self.proc.stdin.flush()
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            return None
        return json.loads(line) if line.strip() else None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)

    def quit(self) -> None:
        if self.proc.poll() is None:
            self.ask("quit")
        self.proc.wait(60)

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return ""
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


def _wal_files(ws: Path) -> int:
    """How many of the journal's -wal/-shm files are missing (0 while a connection is open, as it must be)."""
    return sum(not (ws / f"journal.sqlite3{suffix}").exists() for suffix in ("-wal", "-shm"))


def two_process_scenario(base: Path, point: str) -> TwoProcessOutcome:
    """The runtime (console) and the desk's CLI write one journal in turn; one of them dies at `point`. Then
    every event either acknowledged must be in the journal, no shooting number given twice, and a new reader
    must read the journal (its -wal/-shm intact while the runtime lived)."""
    ws = base / "ws"
    assert cli(ws, "init", "--camera", "virtual").exit_code == 0
    cuts = dict(part.partition(":")[::2] if ":" in part else (part.partition("@")[0] + "@", part.partition("@")[2])
                for part in point.split("+") if part != "none")
    runtime = _Runtime(ws, cuts.get("runtime"))
    out = TwoProcessOutcome(point, killed=False)
    cli_killed, reached = False, set()
    acks: list[dict[str, Any]] = []          # {"by", "cmd", ...} of every acknowledged event
    runtime_acks, runtime_alive = 0, True
    for actor, command in TWO_PROCESS_SCRIPT:
        if actor == "runtime" and runtime_alive:
            ack = runtime.ask(command)
            if ack is None:                  # died at its fault point
                runtime_alive = False
                reached.add("runtime")
                out.tracebacks += "Traceback" in runtime.stderr()
                continue
            if ack["ok"]:
                acks.append({"by": "runtime", **ack})
            runtime_acks += 1
            if runtime_acks == int(cuts.get("runtime@", 0)):
                runtime.kill()
                runtime_alive = False
                reached.add("runtime@")
        elif actor == "cli":
            args = command.split()
            fault = cuts.get("cli") if args[0] == "checkin" and not cli_killed else None
            done = station(ws, *args, fault=fault)
            out.tracebacks += "Traceback" in done.stderr
            if fault and done.returncode == -9:
                cli_killed = True
                reached.add("cli")
            elif done.returncode == 0 and args[0] == "checkin":
                data = json.loads(done.stdout)
                acks.append({"by": "cli", "cmd": "scan", "code": args[1], "shoot_no": data["shoot_no"]})
            elif done.returncode != 0:
                out.reader_failed = True
                out.detail += f"{command}: {done.stderr[-300:]} "
            if runtime_alive:
                out.wal_missing += _wal_files(ws) > 0
    out.killed = reached == cuts.keys()
    if runtime_alive:
        runtime.quit()
        out.tracebacks += "Traceback" in runtime.stderr()
    after = station(ws, "checkin", "K099", "--queue", "--json")   # the desk goes on after the kill
    if after.returncode == 0:
        acks.append({"by": "cli", "cmd": "scan", "code": "K099", "shoot_no": json.loads(after.stdout)["shoot_no"]})
    else:
        out.reader_failed, out.detail = True, out.detail + after.stderr[-300:]
    out.acknowledged = len(acks)
    _check_journal(ws, acks, out)
    return out


def _check_journal(ws: Path, acks: list[dict[str, Any]], out: TwoProcessOutcome) -> None:
    """Count the acknowledged events missing from the journal, and shooting numbers given twice, as read by a
    new process (this one) through SQLite's own integrity check and the store."""
    import sqlite3
    from station.store.workspace import Store
    status = station(ws, "status", "--json")
    if status.returncode != 0:
        out.reader_failed, out.detail = True, out.detail + status.stderr[-300:]
    db = sqlite3.connect(ws / "journal.sqlite3")
    try:
        out.reader_failed |= db.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
    finally:
        db.close()
    with Store.open(ws) as store:
        numbers: dict[tuple[str, str, int], set[int]] = {}
        for record in store.check_ins():
            numbers.setdefault((record.day, record.station_id, record.shoot_no or 0), set()).add(record.subject_id)
        out.numbers_twice = sum(len(subjects) - 1 for subjects in numbers.values())
        by_code = {s.code: s.id for s in store.subjects()}
        for ack in acks:
            if ack["cmd"] == "scan":
                subject = by_code.get(ack["code"])
                kept = subject is not None and store.shoot_no_today(subject) == ack["shoot_no"]
            elif ack["cmd"] == "shoot":
                kept = ack["take"] in {t.id for t in store.takes()}
            else:
                kept = ack["take"] in {t.id for t in store.takes()} and store.take(ack["take"]).decision == "accept"
            if not kept:
                out.lost += 1
                out.detail += f"lost: {ack} "
