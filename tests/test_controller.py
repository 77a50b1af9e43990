"""The station controller driven by typed events, without a terminal: the real libgphoto2 virtual camera, the
real pipeline, a real SQLite journal and a real hot folder. What a browser console or the terminal would do is
done here by submitting the same events."""
from __future__ import annotations

import itertools
import json
from datetime import datetime
import threading
import time
from pathlib import Path

import pytest

from pipeline.synthetic import portrait
from pipeline.result import Reason, Verdict
from station.session.actions import Session, review
from station.session.camera_source import CameraHandle
from station.session.controller import StationController
from station.session.override import needs_override
from station.session.runtime import StationRuntime
from station.session.snapshot import Message
from station.session.triggers import Accept, Key, Next, Pedal, Rebind, Reject, Scan, Shoot, Skip, Void
from station.store.workspace import Store
from workspace_factory import new_workspace, roster_rows


def workspace(tmp_path: Path, n: int = 3) -> Path:
    ws = tmp_path / "ws"
    store = new_workspace(ws)
    store.upsert_subjects(roster_rows(n), source_file="roster.csv")
    store.close()
    return ws


def frames_dir(tmp_path: Path, *flaws: str | None) -> Path:
    """A `virtual:DIR` feed: the virtual camera returns these portraits in name order."""
    folder = tmp_path / "feed"
    folder.mkdir()
    for i, flaw in enumerate(flaws):
        (folder / f"{i:03d}.jpg").write_bytes(portrait(40 + i, flaw=flaw).jpeg)
    return folder


def events(store: Store, kind: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(r[0]) for r in store.conn.execute(
        "SELECT data FROM events WHERE kind = ? ORDER BY id", (kind,))]


@pytest.fixture
def controller(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A controller on the real virtual camera fed: a good portrait, eyes closed (refused, croppable), too
    close (refused, cannot be cropped), then good ones."""
    ws = workspace(tmp_path)
    feed = frames_dir(tmp_path, None, "eyes_closed", "too_close", None, None)
    store = Store.open(ws)
    camera = CameraHandle(f"virtual:{feed}", store.settings, store.workspace)
    assert camera.open(), camera.error
    ctl = StationController(Session(store, operator="wang", camera=camera), camera)
    yield ctl, store
    camera.close()
    store.close()


def test_runtime_scan_shoot_accept_with_subscribers_and_a_json_snapshot(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    seen: list[int] = []
    got = threading.Event()
    with StationRuntime.open(ws, "virtual", operator="wang", poll_seconds=0.05) as rt:
        unsubscribe = rt.subscribe(lambda snap: (seen.append(snap.version), got.set()))
        assert rt.submit(Scan("2019000001", time.monotonic())).result(30).ok
        shot = rt.submit(Shoot(time.monotonic())).result(60)
        assert shot.ok and shot.take_id == 1
        snap = rt.snapshot()
        assert snap.bound is not None and snap.bound.code == "2019000001" and snap.bound.shoot_no == 1
        assert snap.bound.id_number and "*" in snap.bound.id_number          # masked on every screen
        assert snap.last_take is not None and snap.last_take.take_id == 1 and snap.last_take.status == "pass"
        assert Path(snap.last_take.original_path).is_file() and Path(snap.last_take.photo_path).is_file()
        json.dumps(snap.to_dict(), ensure_ascii=False)                       # what an SSE page gets
        accepted = rt.submit(Accept()).result(30)
        assert accepted.ok and rt.snapshot().bound is None
        assert got.is_set() and seen == sorted(seen) and seen[-1] == rt.snapshot().version
        unsubscribe()
        before = len(seen)
        rt.submit(Scan("2019000002", time.monotonic())).result(30)
        assert len(seen) == before                                           # unsubscribed: not called
    with Store.open(ws) as store:
        assert store.take(1).decision == "accept" and store.bound_subject().code == "2019000002"


def test_a_runtime_built_on_a_frame_source_shoots_those_frames_and_keeps_the_face_check(tmp_path: Path) -> None:
    """`frames=`: plain `virtual` delivers the caller's pictures (the console demo's scripted people), not its
    own drawings, so a flaw in them is what the verdict refuses and the face check is asked."""
    ws = workspace(tmp_path)
    closed = portrait(41, flaw="eyes_closed").jpeg
    with StationRuntime.open(ws, "virtual", poll_seconds=0.05, frames=itertools.repeat(closed)) as rt:
        assert rt.submit(Scan("2019000001")).result(30).ok
        assert rt.submit(Shoot()).result(60).ok
        take = rt.snapshot().last_take
        assert take is not None and take.status == "fail"
        assert "eyes_closed" in {r.code for r in take.reasons}
        assert rt.controller.session.face_checks                # drawn faces skip it; given frames do not
    with StationRuntime.open(ws, "virtual", poll_seconds=0.05) as rt:
        assert not rt.controller.session.face_checks


def test_a_runtime_posts_a_message_to_every_screen_in_order(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    with StationRuntime.open(ws, None, poll_seconds=0.05) as rt:
        rt.submit(Scan("2019000001"))
        done = rt.post(Message("info", "demo finished: 1 of 3 accepted", "演示结束")).result(30)
        assert done.ok
        texts = [m.text for m in rt.snapshot().messages]
        assert texts[-1] == "演示结束  demo finished: 1 of 3 accepted"
        assert any("2019000001" in t for t in texts[:-1])           # the scan before it came first


def test_a_scan_outcome_carries_its_warnings(controller, english) -> None:  # type: ignore[no-untyped-def]
    ctl, store = controller
    store.upsert_subjects([{**roster_rows(3)[2], "paid": False}], source_file="roster.csv")
    unpaid = ctl.handle(Scan("2019000003"))
    assert unpaid.ok and any("NOT PAID" in w for w in unpaid.warnings)
    moved = ctl.handle(Scan("2019000002")).warnings           # paid, and takes over the binding
    assert len(moved) == 1 and moved[0].startswith("binding moved from 2019000003")


def test_a_desk_check_in_by_another_process_reaches_subscribers(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    queued = threading.Event()
    with StationRuntime.open(ws, None, queue_mode=True, poll_seconds=0.05) as rt:
        rt.subscribe(lambda snap: queued.set() if snap.queue else None)
        with Store.open(ws) as desk:                 # `station checkin --queue` at the desk: its own connection
            Session(desk).scan("2019000003", queue=True)
        assert queued.wait(10), "the runtime never noticed the desk's check-in"
        assert [q.code for q in rt.snapshot().queue] == ["2019000003"]
        assert rt.submit(Next()).result(30).ok
        assert rt.snapshot().bound.code == "2019000003"


def test_no_scan_no_shot_and_a_held_key_never_fires(controller) -> None:  # type: ignore[no-untyped-def]
    ctl, store = controller
    out = ctl.handle(Shoot(time.monotonic()))
    assert out.status == "refused" and "NO SCAN, NO SHOT" in out.message.text and store.takes() == []
    ctl.handle(Scan("2019000001", time.monotonic()))
    for _ in range(5):                               # auto-repeat of the held shoot key
        assert ctl.handle(Key("space", time.monotonic(), repeat=True)).status == "ignored"
    assert store.takes() == []
    assert ctl.handle(Pedal(time.monotonic())).ok and len(store.takes()) == 1


def test_a_decision_made_while_the_shot_was_being_made_is_ignored(controller) -> None:  # type: ignore[no-untyped-def]
    ctl, store = controller
    ctl.handle(Scan("2019000001", time.monotonic()))
    pressed_during = time.monotonic()
    ctl.handle(Shoot(time.monotonic()))
    for stale in (Accept(at=pressed_during), Reject(at=pressed_during), Shoot(pressed_during)):
        assert ctl.handle(stale).status == "ignored"
    assert len(store.takes()) == 1 and store.takes()[0].decision is None
    assert "ignored" in ctl.snapshot().messages[-1].text
    assert ctl.handle(Accept(at=time.monotonic())).ok and store.takes()[0].decision == "accept"


def test_reject_then_rebind_then_void(controller) -> None:  # type: ignore[no-untyped-def]
    ctl, store = controller
    ctl.handle(Scan("2019000001", time.monotonic()))
    ctl.handle(Shoot(time.monotonic()))
    out = ctl.handle(Reject())                       # no reason: the verdict's first reason, or the generic one
    assert out.ok and store.take(1).decision == "reject" and events(store, "reject")[0]["reason"]
    ctl.handle(Shoot(time.monotonic()))              # still bound: shoot again
    assert ctl.handle(Rebind(2, "2019000002")).ok
    assert store.take(2).subject_id == store.find_subject("code", "2019000002").id
    assert ctl.handle(Void(2, "test")).ok and store.take(2).decision == "void"
    assert ctl.handle(Skip()).ok and store.bound_subject() is None


def test_a_refused_take_needs_an_override_which_is_journalled_reviewed_and_exported(controller, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctl, store = controller
    ctl.handle(Scan("2019000001", time.monotonic()))
    ctl.handle(Shoot(time.monotonic()))              # good portrait: no override needed
    assert ctl.handle(Reject(reason="test")).ok
    ctl.handle(Shoot(time.monotonic()))              # eyes closed: refused but croppable
    take = ctl.snapshot().last_take
    assert take.status == "fail" and take.needs_override and take.croppable
    assert any(r.code == "eyes_closed" and r.override for r in take.reasons)
    out = ctl.handle(Accept())
    assert out.status == "refused" and "放行理由" in out.message.text and store.take(2).decision is None
    assert ctl.handle(Accept(override="   ")).status == "refused"          # blank is no reason
    assert ctl.handle(Accept(override="眼镜反光，本人确认")).ok
    accept, = events(store, "accept")
    assert accept["override"]["reason"] == "眼镜反光，本人确认" and accept["override"]["operator"] == "wang"
    assert "eyes_closed" in [e["code"] for e in accept["override"]["overrode"]]
    listed, = review(store)["overrides"]
    assert listed["take"] == 2 and listed["reason"] == "眼镜反光，本人确认" and "eyes_closed" in listed["overrode"]
    from click.testing import CliRunner
    from station.cli.main import cli
    out_dir = tmp_path / "out"
    result = CliRunner().invoke(cli, ["-w", str(store.workspace), "export", str(out_dir)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    manifests = {p.parent.name: p.read_text("utf-8-sig").splitlines() for p in out_dir.rglob("manifest.csv")}
    manifest = manifests["计算机学院"]
    assert manifest[0].endswith("放行理由 override") and manifest[1].endswith("眼镜反光，本人确认")
    assert not any("override" in m[0] for college, m in manifests.items() if college != "计算机学院")


def test_a_take_that_cannot_be_cropped_is_never_accepted(controller) -> None:  # type: ignore[no-untyped-def]
    ctl, store = controller
    ctl.handle(Scan("2019000001", time.monotonic()))
    for _ in range(2):                               # good, eyes closed: rejected to reach the third frame
        ctl.handle(Shoot(time.monotonic()))
        ctl.handle(Reject(reason="test"))
    ctl.handle(Shoot(time.monotonic()))              # too close: no crop meets the bands
    take = ctl.snapshot().last_take
    assert take.take_id == 3 and not take.croppable and not take.acceptable
    for accept in (Accept(), Accept(3, override="the registrar said yes")):
        out = ctl.handle(accept)
        assert out.status == "refused" and "无法裁剪" in out.message.text     # the CLI's language: Chinese
    assert store.take(3).decision is None and events(store, "accept") == []


def test_a_warning_flagged_override_needs_one_too() -> None:
    """Face continuity appends warnings with "override": true; a passing verdict then needs the override."""
    verdict = Verdict(True, warnings=(Reason("headwear", "", "", level="warn"),), croppable=True)
    assert not needs_override(verdict)
    verdict = verdict.with_warnings([Reason("different_face_same_student", "", "", level="warn", override=True)])
    assert needs_override(verdict)


def test_hot_folder_file_is_offered_again_until_its_take_is_journalled(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    hot = tmp_path / "tether"
    hot.mkdir()
    (hot / "IMG_0001.JPG").write_bytes(portrait(5).jpeg)
    store = Store.open(ws)

    def frames(camera: CameraHandle) -> list:  # type: ignore[type-arg]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            got = camera.poll(0.2)
            if got:
                return got
        return []

    # 1. handed over, then the station dies before journalling: nothing acknowledged
    camera = CameraHandle(f"hotfolder:{hot}", store.settings, store.workspace)
    assert camera.open(), camera.error
    assert [f.name for f in frames(camera)] == ["IMG_0001.JPG"]
    camera.close()
    assert store.takes() == []
    # 2. the next start offers it again; storing fails (the originals folder is not a folder): released
    originals = ws / "originals"
    if originals.exists():
        originals.rename(tmp_path / "originals.bak")
    originals.write_text("not a folder")
    camera = CameraHandle(f"hotfolder:{hot}", store.settings, store.workspace)
    assert camera.open(), camera.error
    ctl = StationController(Session(store, camera=camera), camera)
    got = frames(camera)
    assert [f.name for f in got] == ["IMG_0001.JPG"]
    from station.session.triggers import arrivals
    assert [ctl.handle(e).status for e in arrivals(got)] == ["failed"] and store.takes() == []
    # 3. the disk is back: the released file comes again in the same session and becomes a take
    originals.unlink()
    deadline = time.monotonic() + 30
    while not store.takes():
        assert time.monotonic() < deadline, "the released hot-folder file was never offered again"
        ctl.tick()
        time.sleep(0.1)
    assert store.takes()[0].source == "hotfolder"
    camera.close()
    # 4. journalled and acknowledged: a restart does not offer it a third time
    camera = CameraHandle(f"hotfolder:{hot}", store.settings, store.workspace)
    assert camera.open(), camera.error
    assert camera.poll(1.5) == [] and not any("never confirmed" in w for w in camera.warnings())
    camera.close()
    store.close()


def test_the_terminal_o_key_asks_for_the_override_reason(controller) -> None:  # type: ignore[no-untyped-def]
    """The shoot screen is a view + key runtime on the same controller: `o` opens a prompt, the typed line is
    the reason, and the screen says what the take needs."""
    import io
    from rich.console import Console
    from station.tui.app import ShootApp
    from station.tui.keys import KeyEvent
    ctl, store = controller
    app = ShootApp(ctl.session, ctl.camera, trigger="key", queue_mode=False,
                   console=Console(file=io.StringIO(), width=160, color_system=None))
    app.handle(KeyEvent("scan", "2019000001", time.monotonic()))
    app.handle(KeyEvent("key", "space", time.monotonic()))
    app.handle(KeyEvent("key", "r", time.monotonic()))
    app.handle(KeyEvent("line", "test", time.monotonic()))
    app.handle(KeyEvent("key", "space", time.monotonic()))          # eyes closed: refused
    app.redraw()
    assert "needs an override" in app.console.file.getvalue() or "放行理由" in app.console.file.getvalue()
    app.handle(KeyEvent("key", "a", time.monotonic()))
    assert store.take(2).decision is None
    app.handle(KeyEvent("key", "o", time.monotonic()))
    assert app.prompt is not None and app.keys.line_mode
    app.handle(KeyEvent("line", "本人确认，闭眼为习惯", time.monotonic()))
    assert store.take(2).decision == "accept"
    assert events(store, "accept")[0]["override"]["reason"] == "本人确认，闭眼为习惯"


def test_a_low_disk_is_said_before_the_shot_and_the_shot_still_goes_ahead(controller) -> None:  # type: ignore[no-untyped-def]
    ctl, store = controller
    import dataclasses
    safety = dataclasses.replace(store.settings.safety, min_free_mb=10**9)   # more than any disk here has
    object.__setattr__(store, "settings", dataclasses.replace(store.settings, safety=safety))
    ctl.handle(Scan("2019000001", time.monotonic()))
    assert ctl.handle(Shoot(time.monotonic())).ok and len(store.takes()) == 1
    said = [m for m in ctl.snapshot().messages if m.level == "warn" and "MB" in m.text]
    assert said and str(store.workspace) in said[0].text and "只剩" in said[0].zh


def test_a_file_offered_again_after_it_was_journalled_is_not_stored_twice(tmp_path: Path) -> None:
    """Killed after the journal commit but before the hot folder's acknowledge: the next start offers the
    file again, and it must not become a second take for the student."""
    from camera.frame import Frame
    ws = workspace(tmp_path)
    with Store.open(ws) as store:
        session = Session(store)
        session.scan("2019000001")
        frame = Frame(data=portrait(7).jpeg, name="IMG_0007.JPG", captured_at=datetime.now().astimezone(),
                      model="", serial="", kind="jpeg", source="hotfolder")
        assert len(session.ingest([frame])) == 1
        assert session.ingest([frame]) == []
        assert len(store.takes()) == 1


def test_a_screen_gets_the_verdict_first_and_the_same_photo_and_preview_once_settled(tmp_path: Path) -> None:
    """`defer_after` + `render_later` (what the shoot screen sets): the verdict is journalled and shown before
    the finished photo, its validation and the preview are made (`settle`, once the screen shows it); the photo
    is the very one a script's shot gets, and an accept before `settle` settles first."""
    ws = workspace(tmp_path)
    feed = frames_dir(tmp_path, None, None, None)
    (feed / "001.jpg").write_bytes((feed / "000.jpg").read_bytes())    # the same frame, shot both ways
    with Store.open(ws) as store:
        camera = CameraHandle(f"virtual:{feed}", store.settings, store.workspace)
        assert camera.open(), camera.error
        ctl = StationController(Session(store, operator="wang", camera=camera), camera)
        session = ctl.session
        ctl.handle(Scan("2019000001"))
        inline = ctl.handle(Shoot())                                   # a script's way: all of it in line
        assert inline.ok
        photo = store.take(inline.take_id).verdict
        assert photo.photo and "validation" in photo.extra
        ctl.handle(Reject(at=time.monotonic(), take_id=inline.take_id, reason="again"))
        session.defer_after = session.render_later = True             # as the shoot screen sets them
        first = ctl.handle(Shoot())
        shown = ctl.snapshot().last_take
        assert shown is not None and shown.status == "pass" and shown.photo_path is None
        assert not (ws / "preview" / "latest.jpg").exists()            # never the last take's preview
        assert ctl.settle()
        done = store.take(first.take_id).verdict
        assert done.photo_sha256 == photo.photo_sha256 and done.extra["validation"]["sha256"] == done.photo_sha256
        assert "after_pending" not in done.extra and done.measures["file_kb"] == photo.measures["file_kb"]
        assert ctl.snapshot().last_take.photo_path and (ws / "preview" / "latest.jpg").is_file()
        ctl.handle(Reject(at=time.monotonic(), take_id=first.take_id, reason="again"))
        second = ctl.handle(Shoot())                                   # accepted before anyone settled it
        assert store.take(second.take_id).verdict.photo is None
        ctl.handle(Accept(at=time.monotonic(), take_id=second.take_id))
        accepted = store.take(second.take_id)
        assert accepted.decision == "accept" and accepted.verdict.photo and not ctl.settle()
        camera.close()
