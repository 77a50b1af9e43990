"""The shoot loop's logic in-process: camera-button frames, a camera that vanishes, busy presses, warnings.

Real virtual camera (libgphoto2), real pipeline and journal; only the terminal is left out (events are fed
to `ShootApp.handle` as the key reader would) and a thin fault-injecting wrapper stands in for an unplug.
"""
from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from camera import open_camera
from camera.errors import CameraGone
from station.session.camera_source import synthetic_frames
from station.tui.keys import KeyEvent
from station.session.actions import Session
from station.tui.app import ShootApp
from workspace_factory import new_workspace, roster_rows

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages


class Flaky:
    """The camera controller with `fail` capture attempts turned into CameraGone (the cable pulled)."""

    spec = "virtual"
    has_trigger = True

    def __init__(self, real: Any) -> None:
        self.real = real
        self.fail = 0
        self.error: str | None = None

    def capture(self, timeout: float = 15.0) -> list[Any]:
        if self.fail:
            self.fail -= 1
            self.error = "camera disconnected"
            raise CameraGone("camera disconnected while capturing (-52)")
        self.error = None
        return self.real.capture(timeout=timeout)

    def poll(self, timeout: float = 0.0) -> list[Any]:
        return self.real.poll(timeout)

    def health(self) -> Any:
        return self.real.health()

    def warnings(self) -> list[str]:
        return []


@pytest.fixture
def station(tmp_path: Path):
    store = new_workspace(tmp_path / "ws")
    rows = roster_rows(4)
    rows[3]["paid"] = False
    store.upsert_subjects(rows, source_file="roster.csv")
    with open_camera("virtual", frames=synthetic_frames(500)) as real:
        camera = Flaky(real)
        session = Session(store, camera=camera, operator="test")
        app = ShootApp(session, camera, trigger="key", queue_mode=False,
                       console=Console(file=io.StringIO(), width=160, color_system=None))
        yield app, store, real
    store.close()


def key(app: ShootApp, name: str) -> None:
    app.handle(KeyEvent("key", name, time.monotonic()))


def scan(app: ShootApp, code: str) -> None:
    app.handle(KeyEvent("scan", code, time.monotonic()))


def screen(app: ShootApp) -> str:
    app.console.file.truncate(0)
    app.console.file.seek(0)
    app.redraw()
    return app.console.file.getvalue()


def wait_for_button_frame(app: ShootApp) -> None:
    deadline = time.monotonic() + 30
    before = len(app.session.store.takes())
    while len(app.session.store.takes()) == before:
        assert time.monotonic() < deadline, "the camera-button frame never arrived"
        app.poll_camera()
        time.sleep(0.1)


def test_camera_button_with_nobody_bound_is_kept_unbound_then_rebound(station) -> None:
    app, store, real = station
    real.set_setting("opcode", "0x9999,0x0,0x64")         # the shutter on the camera body
    wait_for_button_frame(app)
    take = store.takes()[0]
    assert take.subject_id is None and take.source == "button" and take.verdict is not None
    assert "UNBOUND" in screen(app)
    key(app, "u")                                          # rebind last take: the prompt takes a scan
    scan(app, "2019000002")
    assert store.take(take.id).subject_id == store.find_subject("code", "2019000002").id
    assert store.unbound_takes() == []
    assert store.bound_subject() is None                   # rebinding does not bind anyone


def test_camera_button_with_a_bound_student_is_that_students_take(station) -> None:
    app, store, real = station
    scan(app, "2019000001")
    real.set_setting("opcode", "0x9999,0x0,0x64")
    wait_for_button_frame(app)
    assert store.takes()[0].subject_id == store.find_subject("code", "2019000001").id


def test_camera_gone_keeps_the_bound_student_and_the_next_press_shoots(station) -> None:
    app, store, _ = station
    scan(app, "2019000001")
    app.camera.fail = 1
    key(app, "space")
    assert store.takes() == []
    assert store.bound_subject().code == "2019000001"
    text = screen(app)
    assert "camera disconnected" in text and "still bound: 2019000001" in text
    key(app, "space")
    assert [t.subject_id for t in store.takes()] == [store.find_subject("code", "2019000001").id]


def test_a_press_made_while_the_last_shot_was_being_made_is_dropped(station) -> None:
    app, store, _ = station
    scan(app, "2019000001")
    pressed_during = time.monotonic()
    key(app, "space")
    app.handle(KeyEvent("key", "space", pressed_during))   # arrived while shooting: a double press
    assert len(store.takes()) == 1
    assert "ignored" in screen(app)


def test_unpaid_student_is_warned_and_screen_shows_the_bound_student(station) -> None:
    app, store, _ = station
    scan(app, "2019000004")
    text = screen(app)
    assert "NOT PAID" in text and "2019000004" in text and "No. 1" in text
    subject = store.find_subject("code", "2019000004")
    assert subject.masked_id in text and subject.id_number not in text   # the full ID never on screen


def test_reject_prompt_void_and_escape(station) -> None:
    app, store, _ = station
    scan(app, "2019000003")
    key(app, "space")
    key(app, "r")
    assert app.keys.line_mode and "reason" in screen(app)
    key(app, "escape")                                     # cancelled: nothing decided
    assert store.takes()[0].decision is None and not app.keys.line_mode
    key(app, "r")
    app.handle(KeyEvent("line", "hair over eyebrows", time.monotonic()))
    assert store.takes()[0].decision == "reject"
    key(app, "x")
    key(app, "enter")
    assert store.takes()[0].decision == "void"
    reasons = [r[0] for r in store.conn.execute(
        "SELECT json_extract(data, '$.reason') FROM events WHERE kind IN ('reject', 'void') ORDER BY id")]
    assert reasons == ["hair over eyebrows", "voided at the station"]


def test_accept_with_nothing_shot_says_so_and_changes_nothing(station) -> None:
    app, store, _ = station
    scan(app, "2019000001")
    key(app, "a")
    assert "no undecided take" in screen(app)
    assert store.bound_subject().code == "2019000001"


def test_accept_pressed_before_the_verdict_was_shown_is_ignored(station) -> None:
    app, store, _ = station
    scan(app, "2019000001")
    pressed_during = time.monotonic()
    key(app, "space")
    app.handle(KeyEvent("key", "a", pressed_during))
    assert store.takes()[0].decision is None and "ignored" in screen(app)
    key(app, "a")
    assert store.takes()[0].decision == "accept"


def test_hot_folder_file_goes_to_the_bound_student(tmp_path: Path) -> None:
    from station.session.camera_source import CameraHandle
    store = new_workspace(tmp_path / "ws")
    store.upsert_subjects(roster_rows(2), source_file="roster.csv")
    folder = tmp_path / "tether"
    folder.mkdir()
    camera = CameraHandle(f"hotfolder:{folder}", store.settings, store.workspace)
    try:
        assert camera.open(), camera.error
        session = Session(store, camera=camera)
        app = ShootApp(session, camera, trigger="key", queue_mode=False,
                       console=Console(file=io.StringIO(), width=160, color_system=None))
        scan(app, "2019000002")
        key(app, "space")                                      # a hot folder is not fired from here
        assert store.takes() == [] and "tethering program" in screen(app)
        (folder / "IMG_0001.JPG").write_bytes(next(synthetic_frames(77)))
        deadline = time.monotonic() + 30
        while not store.takes():
            assert time.monotonic() < deadline, "hot-folder file never ingested"
            app.poll_camera()
            time.sleep(0.1)
        take = store.takes()[0]
        assert take.source == "hotfolder" and take.subject_id == store.find_subject("code", "2019000002").id
        assert take.verdict is not None
    finally:
        camera.close()
        store.close()


def test_pedal_and_serial_queue_items_become_shoot_and_scan(station) -> None:
    from station.tui.app import PEDAL, SERIAL, to_events
    app, store, _ = station
    for event in to_events(app, SERIAL + "2019000003", time.monotonic()):
        app.handle(event)
    assert store.bound_subject().code == "2019000003"
    for event in to_events(app, PEDAL, time.monotonic()):
        app.handle(event)
    assert len(store.takes()) == 1


def test_trigger_camera_leaves_shooting_to_the_camera_body(station) -> None:
    app, store, _ = station
    app.trigger = "camera"
    scan(app, "2019000001")
    key(app, "space")
    assert store.takes() == [] and "camera's own button" in screen(app)
    assert "camera button" in screen(app)
