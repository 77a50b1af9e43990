"""`station demo`: a realistic scripted session on the virtual camera, with nothing attached.

A generated roster of a few colleges, generated portraits (pipeline.synthetic: no real person's photo ships),
the real libgphoto2 virtual camera, the real pipeline, store and export. Some takes are bad on purpose (eyes
closed, tilted, too close, blue shirt) and are rejected and re-shot; one frame shows the next student while
the one before is bound: the face check (generated enrolment photos, station.demo.faces) catches it and names
whose face it is, and the script rebinds the take to whoever the warning names. The summary at the end is
read back from the journal, not from the script.

The script is ONE generator of typed station events (`session_script`): `station demo` hands each to a
StationController and prints; `station demo --console` (station.demo.console) submits each to the console's
StationRuntime, so the pages show the same session as it happens. Neither copies the station's rules.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generator

from config.i18n import _
from config.settings import Settings
from pipeline.result import Verdict
from station.demo.roster import DemoStudent, demo_students, roster_csv
from station.session.snapshot import Outcome, Snapshot, TakeState
from station.session.triggers import Accept, Event, Rebind, Reject, Scan, Shoot, Skip

MARKER = ".station-demo"
BAD_FLAWS = ("eyes_closed", "tilted", "too_close", "blue_shirt")
FRAME_SIZE = (2400, 1600)   # width, height of the generated DSLR-like frames


@dataclass(frozen=True)
class Shot:
    """One press of the pedal in the script: whose face is in the chair, and with which flaw."""
    seed: int
    flaw: str | None = None


@dataclass
class DemoPlan:
    students: list[DemoStudent]
    bad: dict[int, str] = field(default_factory=dict)   # student index -> flaw of their first take
    swap: int | None = None                                # index whose first frame shows the next student



class ScriptedFrames:
    """The virtual camera's frame source: whatever the script says is in the chair for the next press.

    The camera asks for a frame when it opens and at each capture, so the script sets the shot just before
    pressing the pedal; a re-shoot is simply a new `show()`.
    """

    def __init__(self, size: tuple[int, int] = FRAME_SIZE) -> None:
        self.size = size
        self._shot: Shot | None = None

    def show(self, shot: Shot) -> None:
        self._shot = shot

    def __iter__(self) -> "ScriptedFrames":
        return self

    def __next__(self) -> bytes:
        from station.demo.faces import frame
        if self._shot is None:
            raise StopIteration
        return frame(self._shot.seed, size=self.size, flaw=self._shot.flaw)


def _seed(index: int) -> int:
    """The generated person of the index-th student (a re-shoot shows the same person)."""
    from station.demo.faces import identity
    return identity(index)


def plan_for(count: int) -> DemoPlan:
    students = demo_students(count)
    bad = {}
    for n, index in enumerate(range(2, count, max(3, count // len(BAD_FLAWS)))):
        if n < len(BAD_FLAWS):
            bad[index] = BAD_FLAWS[n]
    swap = next((i for i in range(count // 2, count - 1) if i not in bad and i + 1 not in bad), None)
    return DemoPlan(students, bad, swap)


def prepare_workspace(workspace: Path, *, fresh: bool) -> None:
    """Create the demo workspace; replace an old one only if it is a demo workspace (marker file)."""
    from station.core.errors import StoreError
    if workspace.exists() and any(workspace.iterdir()):
        if not (workspace / MARKER).is_file():
            raise StoreError(f"{workspace} exists and is not a demo workspace; refusing to touch it",
                             hint="choose another --workspace for the demo")
        if not fresh:
            raise StoreError(f"{workspace} already holds a demo session", hint="add --fresh to start it over")
        shutil.rmtree(workspace)


@dataclass(frozen=True)
class Seen:
    """What the station shows after one scripted event: its outcome, the snapshot, and the take's verdict as
    journalled (the face check's warning names whose face it is: the script rebinds to that student)."""
    outcome: Outcome
    snapshot: Snapshot
    verdict: Verdict | None = None


#: the scripted session: yields typed events, is sent back what each did
Script = Generator[Event, Seen, None]


def prepare_session(workspace: Path, *, students: int, say: Callable[[str], None]) -> DemoPlan:
    """The demo workspace: generated roster (as a GB18030 CSV), enrolment photos, the demo's face bands."""
    import dataclasses

    from config.settings import StationSection
    from station.store.durable import write_new_file
    from station.demo.faces import write_demo_preset, write_enrolment_photos
    from station.faces.enrolment import import_photos
    from station.identity.roster import import_roster
    from station.store.workspace import init_workspace

    plan = plan_for(students)
    colleges = sorted({s.college for s in plan.students})
    settings = dataclasses.replace(Settings(), station=StationSection(id="DEMO1", room="四教楼102",
                                                                     operator="demo"))
    store = init_workspace(workspace, settings)
    try:
        write_new_file(workspace / MARKER, b"generated by `station demo`; safe to delete\n")
        write_demo_preset(workspace)          # face bands measured on generated faces (station.demo.faces)
        roster_file = workspace / "demo-roster.csv"
        write_new_file(roster_file, roster_csv(plan.students).encode("gb18030"))   # as Chinese Excel saves it
        imported = import_roster(store, roster_file)
        say(_("roster: {students} generated students in {colleges} colleges ({added} imported from a GB18030 CSV)",
              students=students, colleges=len(colleges), added=imported.counts.get("added", 0)))
        photos = workspace / "demo-enrolment-photos"
        write_enrolment_photos(photos, [(s.student_no, _seed(i)) for i, s in enumerate(plan.students)])
        enrolled = import_photos(store, photos)
        say(_("enrolment photos: {n} generated 学籍照片 imported (face data in faces/)", n=len(enrolled.imported)))
    finally:
        store.close()
    return plan


def first_frames(plan: DemoPlan) -> ScriptedFrames:
    """The camera's frame source, showing the first student (the camera asks for a frame when it opens)."""
    frames = ScriptedFrames()
    frames.show(Shot(seed=_seed(0), flaw=plan.bad.get(0)))
    return frames


def play(script: Script, apply: Callable[[Event], Seen]) -> None:
    """Run a script: each event it yields goes to `apply` (a controller, or a runtime); what it did goes back."""
    try:
        event = next(script)
        while True:
            event = script.send(apply(event))
    except StopIteration:
        return


def run_demo(workspace: Path, *, students: int, say: Callable[[str], None],
             progress: Callable[[int, int], None] | None = None) -> dict:
    """Run the scripted session through a StationController; returns the summary read back from the journal."""
    from station.session.station import Station

    plan = prepare_session(workspace, students=students, say=say)
    frames = first_frames(plan)
    station = Station.open(workspace, "virtual", kind="demo", operator="demo", frames=frames)
    try:
        camera, controller, store = station.camera, station.controller, station.store
        if camera.error is not None:
            from station.core.errors import SessionError
            raise SessionError(f"demo: the virtual camera did not open: {camera.error}")
        health = camera.health()
        say(_("camera: {model} (libgphoto2 virtual camera), battery {battery}", model=health.model,
              battery=health.battery or "?"))

        def apply(event: Event) -> Seen:
            outcome = controller.handle(event)
            verdict = store.take(outcome.take_id).verdict if outcome.take_id is not None else None
            return Seen(outcome, controller.snapshot(), verdict)
        play(session_script(plan, frames, say, progress), apply)
    finally:
        station.close()
    return summarise(workspace)


def session_script(plan: DemoPlan, frames: ScriptedFrames, say: Callable[[str], None],
                   progress: Callable[[int, int], None] | None = None) -> Script:
    """THE scripted session, as typed events: every student scanned, shot, bad takes rejected and re-shot,
    the wrong person caught by the face check and rebound. `say` narrates; `progress(done, total)`."""
    for index in range(len(plan.students)):
        if plan.swap is not None and index == plan.swap + 1:
            continue
        yield from _visit(frames, plan, index, say)
        if progress:
            progress(index + 1, len(plan.students))


def _expect(seen: Seen, what: str) -> Seen:
    """The script goes on only when the station did what it was asked (else it stops with the station's word)."""
    if not seen.outcome.ok:
        from station.core.errors import SessionError
        message = seen.outcome.message.text if seen.outcome.message else seen.outcome.status
        raise SessionError(f"demo: {what}: {message}", hint=seen.outcome.hint)
    return seen


def _describe(take: TakeState | None) -> str:
    if take is not None and take.status == "pass":
        m = take.measures
        return _("PASS (crown {crown}px, eyes {eyes}px, face {face}px, roll {roll}°)",
                 crown=f"{m.get('crown_y', 0):.0f}", eyes=f"{m.get('eye_y', 0):.0f}",
                 face=f"{m.get('face_width', 0):.0f}", roll=f"{m.get('roll_deg', 0):.1f}")
    reasons = take.reasons if take is not None else ()
    return _("FAIL {reasons}", reasons="; ".join(f"{r.zh} / {r.en}" for r in reasons))


def _shoot(frames: ScriptedFrames, shot: Shot, say: Callable[[str], None]) -> Generator[Event, Seen, Seen]:
    """Who sits in the chair, then the pedal; says the verdict."""
    frames.show(shot)
    seen = _expect((yield Shoot()), "shoot")
    say("      " + _("take {take}: {verdict}", take=seen.outcome.take_id, verdict=_describe(seen.snapshot.last_take)))
    return seen


def _visit(frames: ScriptedFrames, plan: DemoPlan, index: int, say: Callable[[str], None]) -> Script:
    """One student's visit as the script plays it."""
    student = plan.students[index]
    scan = _expect((yield Scan(student.student_no, via="typed")), "scan")
    warn = f"  ! {'; '.join(scan.outcome.warnings)}" if scan.outcome.warnings else ""
    bound = scan.snapshot.bound
    say(f"No.{bound.shoot_no if bound else 0:>3} {student.name} {student.student_no} {student.class_name}{warn}")
    if index == plan.swap:
        shot = yield from _shoot(frames, Shot(seed=_seed(index + 1)), say)   # the next student sat down
        caught = next((w for w in (shot.verdict.warnings if shot.verdict else ())
                       if w.code == "enrolment_of_other"), None)
        if caught is None:
            say("      ! " + _("the face check did not notice the wrong person: take left undecided"))
        else:
            code = (caught.face or {})["subject_code"]
            say(f"      ! {caught.zh} / {caught.en}")
            take = shot.outcome.take_id
            moved = _expect((yield Rebind(take, code=code, reason="face check: wrong person in the chair")),
                            "rebind")
            other = _expect((yield Scan(code, via="typed")), "scan").snapshot.bound
            _expect((yield Accept(moved.outcome.take_id)), "accept")
            say("      " + _("rebind take {take} -> {name} {student_no} (No.{no}), accepted", take=take,
                              name=other.name if other else "", student_no=other.student_no if other else code,
                              no=other.shoot_no if other else 0))
            _expect((yield Scan(student.student_no, via="typed")), "scan")
    attempts = 0
    while True:
        flaw = plan.bad.get(index) if attempts == 0 else None
        shot = yield from _shoot(frames, Shot(seed=_seed(index), flaw=flaw), say)
        attempts += 1
        take = shot.snapshot.last_take
        if take is not None and take.status == "pass":
            _expect((yield Accept(shot.outcome.take_id)), "accept")
            say("      " + _("accepted"))
            return
        reason = "; ".join(r.zh for r in (take.reasons if take else ())) or "refused"
        _expect((yield Reject(shot.outcome.take_id, reason=reason)), "reject")
        if attempts >= 3:
            _expect((yield Skip("three failed takes: re-shoot later")), "skip")
            say("      " + _("rejected three times: skipped, on the re-shoot list"))
            return
        say("      " + _("rejected, re-shoot"))


def summarise(workspace: Path) -> dict:
    """Counts read back from the journal: what actually happened."""
    from station.store.kinds import EventKind
    from station.store.queries import ReadModel
    with ReadModel.open(workspace) as store:
        return {
            "workspace": str(workspace),
            "students": store.roster_size(),
            "checked_in": len(store.checked_in_ids()),
            "takes": store.take_count(),
            "accepted": store.count_events(EventKind.ACCEPT),
            "rejected": store.count_events(EventKind.REJECT),
            "rebinds": store.count_events(EventKind.REBIND),
            "skipped": store.count_events(EventKind.SKIP),
            "reject_reasons": [reason for _subject, reason in store.reject_reasons()],
            "by_college": store.status_by_college(),
        }
