"""Shoot-loop benchmark on libgphoto2's virtual camera with the real pipeline and journal.

1. Pedal press -> verdict available: the time `Session.shoot()` takes (trigger, download, durable store,
   pipeline analyse+render, verdict journalled, preview written), and key press -> verdict drawn on the
   terminal screen (the shoot loop's whole path). Goal: press-to-verdict on screen <= 250 ms median.
   The finished photo, the face check, the photo's validation and the preview are made after the verdict is
   drawn (`settle`, as the loop does): timed on their own lines, and a take is accepted with the warnings
   they journalled. --inline: every other on-screen shot makes them first (as before), in the same run.
   A refused take is accepted with an override reason, as the operator's `o` key does (issue 26).
2. Sustained students per hour the station itself could handle: scan + shoot + accept per student in a loop
   (no human time), i.e. the ceiling the software puts on a station.

Run: .venv/bin/python bench/bench_shoot.py [--shots 40]   (sets VCAMERADIR itself before gphoto2 loads).
Portraits are generated beforehand (pipeline.synthetic) so generating them is not part of the timing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _stats  # bench/ is on sys.path when a script here runs
from _stats import pct

ROOT = Path(__file__).resolve().parents[1]


def show(label: str, seconds: list[float]) -> None:
    _stats.show(label, seconds, 44)


def make_workspace(folder: Path, students: int):
    sys.path.insert(0, str(ROOT / "tests"))
    from workspace_factory import new_workspace, roster_rows
    store = new_workspace(folder)
    store.upsert_subjects(roster_rows(students), source_file="bench-roster.csv")
    return store


def portraits(n: int, seed: int = 1000) -> list[bytes]:
    from station.session.camera_source import VIRTUAL_SIZE
    from pipeline.synthetic import portrait
    return [portrait(seed + i, width=VIRTUAL_SIZE[0], height=VIRTUAL_SIZE[1]).jpeg for i in range(n)]


def screen_app(session, camera):
    """The shoot loop's app drawing into a buffer (what a terminal would receive)."""
    import io
    from rich.console import Console
    from station.tui.app import ShootApp

    class Shown:                                          # the loop's CameraHandle face over the controller
        spec, error, has_trigger = "virtual", None, True

        def warnings(self) -> list[str]:
            return []
    console = Console(file=io.StringIO(), width=160, force_terminal=True)
    return ShootApp(session, Shown(), trigger="key", queue_mode=False, console=console)


def accept(session, verdict) -> bool:
    """Accept the take as an operator would: a refused take (or one whose warnings need it) with an override
    reason, as the shoot screen's `o` does. True when an override was needed."""
    from station.session.override import croppable, needs_override
    if not croppable(verdict):
        session.reject(reason="bench: cannot be cropped")
        return True
    if needs_override(verdict):
        session.accept(override="bench: operator accepts")
        return True
    session.accept()
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=40)
    parser.add_argument("--inline", action="store_true",
                        help="every other on-screen shot with the photo, face check, validation and preview before "
                             "the verdict (as before they were deferred): the two compared in the same run")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-shoot-"))
    os.environ.setdefault("VCAMERADIR", str(tmp / "vcam"))
    Path(os.environ["VCAMERADIR"]).mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))

    from camera import open_camera
    from station.tui.keys import KeyEvent
    from station.session.actions import Session

    n = args.shots
    t0 = time.perf_counter()
    frames = portraits(3 * n + 2)
    print(f"generated {len(frames)} portraits in {time.perf_counter() - t0:.1f} s "
          f"(median {statistics.median(len(f) for f in frames) / 1024:.0f} KiB)")
    store = make_workspace(tmp / "ws", 3 * n + 2)
    codes = [s.code for s in store.subjects()]
    press_to_verdict: list[float] = []
    on_screen: list[float] = []
    on_screen_inline: list[float] = []           # --inline: all of it before the verdict
    parts: dict[str, list[float]] = {"capture": [], "store": [], "pipeline": []}
    cycle: list[float] = []
    passed = overridden = 0
    accepting: list[float] = []
    after: dict[str, list[float]] = {"session": [], "screen": []}     # what follows the verdict (settle)
    gap = store.settings.triggers.scan_gap_ms / 1000.0
    with open_camera("virtual", frames=frames, state_dir=tmp / "ws" / "state") as camera:
        session = Session(store, camera=camera, operator="bench")
        app = screen_app(session, camera)
        session.scan(codes[0])
        take = session.shoot().take                       # warm-up: model load, first camera object
        session.settle()
        accept(session, session.store.take(take.id).verdict)
        for i, code in enumerate(codes[1:2 * n + 1]):     # 1. press -> verdict (n each way)
            session.scan(code)
            if i % 2:                                     # the shoot loop's whole path, screen included
                inline = args.inline and i % 4 == 3       # --inline: every other one as before settle existed
                session.defer_after = not inline
                t = time.perf_counter()
                app.handle(KeyEvent("key", "space", time.monotonic()))
                app.redraw()
                (on_screen_inline if inline else on_screen).append(time.perf_counter() - t + gap)
                session.defer_after = True
                t = time.perf_counter()
                if app.settle():                          # as the loop does once the verdict is drawn
                    app.redraw()
                if not inline:
                    after["screen"].append(time.perf_counter() - t)
                outcome = app.controller.last_shot
            else:
                t = time.perf_counter()
                outcome = session.shoot()
                press_to_verdict.append(time.perf_counter() - t)
                for key in parts:
                    parts[key].append(outcome.timings.get(key, 0.0))
                t = time.perf_counter()
                session.settle()
                after["session"].append(time.perf_counter() - t)
            verdict = session.store.take(outcome.take.id).verdict     # with the face check's warnings
            passed += bool(verdict is not None and verdict.ok)
            t = time.perf_counter()
            overridden += accept(session, verdict)
            accepting.append(time.perf_counter() - t)
        start = time.perf_counter()
        for code in codes[2 * n + 1:3 * n + 1]:           # 2. sustained scan + shoot + accept
            t = time.perf_counter()
            session.scan(code)
            take = session.shoot().take
            session.settle()
            accept(session, session.store.take(take.id).verdict)
            cycle.append(time.perf_counter() - t)
        wall = time.perf_counter() - start
    show("pedal press -> verdict available (Session)", press_to_verdict)
    show(f"key press -> verdict drawn (+{gap * 1000:.0f} ms key gap)", on_screen)
    if on_screen_inline:
        show("  the same, photo + face check + validation + preview first", on_screen_inline)
    for key, values in parts.items():
        show(f"  of which {key}", values)
    show("after the verdict: photo, face check, validation, preview", after["session"])
    show("after the screen: the same + redraw", after["screen"])
    show(f"accept ({overridden} of them with an override)", accepting)
    show("scan + shoot + accept (one student)", cycle)
    print(f"sustained: {len(cycle) / wall * 3600:,.0f} students/hour the station itself could handle "
          f"({len(cycle)} students in {wall:.1f} s)")
    print(f"verdicts: {passed}/{2 * n} generated portraits passed")
    goal = statistics.median(on_screen) <= 0.25
    print(f"goal (press -> verdict on the terminal screen, median <= 250 ms): {'MET' if goal else 'NOT MET'} "
          f"(median {statistics.median(on_screen) * 1000:.0f} ms, p95 {pct(on_screen, 0.95) * 1000:.0f} ms)")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
