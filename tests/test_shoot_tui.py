"""`station shoot` driven in a pseudo-terminal as a scanner, a pedal and an operator would drive it.

Scans are sent in one write (a burst, like a keyboard-mode scanner); keys are sent alone with pauses (people).
Each child gets its own workspace and its own VCAMERADIR, then the journal and files are checked. Timeouts are
generous and only there to avoid hangs; nothing asserts how fast anything is.
"""
from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

pexpect = pytest.importorskip("pexpect")

from station.store.workspace import Store  # noqa: E402
from workspace_factory import new_workspace, roster_rows  # noqa: E402

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages

STATION = Path(sys.executable).with_name("station")
WAIT = 60.0


class Station:
    """One `station shoot` child in a pty, plus helpers that read its journal."""

    def __init__(self, ws: Path, vcam: Path, *args: str) -> None:
        self.ws = ws
        env = dict(os.environ, STATION_WORKSPACE=str(ws), VCAMERADIR=str(vcam), TERM="xterm-256color")
        self.child = pexpect.spawn(str(STATION), ["shoot", "--camera", "virtual", *args], env=env,
                                   dimensions=(60, 170), encoding="utf-8", timeout=WAIT)
        self.screen = ""
        self.child.expect("CAPTURE STATION")
        # the screen is drawn in one write: what followed the header is already in pexpect's buffer
        rest, self.child.buffer = self.child.buffer, ""
        self.screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", "CAPTURE STATION" + rest)

    def drain(self, seconds: float = 0.05) -> str:
        """Read what the child printed (it must never block on a full pty)."""
        try:
            while True:
                chunk = self.child.read_nonblocking(1 << 20, timeout=seconds)
                self.screen = (self.screen + re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", chunk))[-200_000:]
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass
        return self.screen

    def scan(self, code: str) -> None:
        self.child.send(code + "\r")          # one write: a machine-fast burst ending in Enter

    def key(self, key: str) -> None:
        self.drain(0.3)                       # a person: well apart from anything before and after
        self.child.send(key)
        self.drain(0.3)

    def wait(self, what: str, condition: Callable[[Store], bool]) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            self.drain()
            with Store.open(self.ws) as store:
                if condition(store):
                    return
            assert self.child.isalive(), f"station exited while waiting for {what}:\n{self.screen[-3000:]}"
        raise AssertionError(f"timed out waiting for {what}; screen:\n{self.screen[-3000:]}")

    def expect_text(self, text: str) -> None:
        deadline = time.monotonic() + WAIT
        while text not in self.screen:
            assert time.monotonic() < deadline, f"{text!r} never shown; screen:\n{self.screen[-3000:]}"
            self.drain(0.1)

    def quit(self) -> None:
        self.key("q")
        self.child.expect(pexpect.EOF)
        self.child.close()
        assert self.child.exitstatus == 0

    def kill9(self) -> None:
        os.kill(self.child.pid, signal.SIGKILL)
        self.child.expect(pexpect.EOF)
        self.child.close()


def bound_code(store: Store) -> str | None:
    s = store.bound_subject()
    return s.code if s else None


def take_rows(store: Store) -> list[tuple[int, str | None, str | None]]:
    return [(t.id, store.subject(t.subject_id).code if t.subject_id else None, t.decision) for t in store.takes()]


def n_takes(n: int) -> Callable[[Store], bool]:
    return lambda s: len(s.takes()) == n and all(t.verdict is not None for t in s.takes())


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    store = new_workspace(tmp_path / "ws")
    store.upsert_subjects(roster_rows(8), source_file="roster.csv")
    store.close()
    return tmp_path / "ws"


@pytest.fixture
def vcam(tmp_path: Path) -> Path:
    folder = tmp_path / "vcam"
    folder.mkdir()
    return folder


def assert_every_accepted_take_belongs_to_the_scan_before_it(store: Store) -> None:
    """Walk the journal: each capture's subject is the one the latest scan (bind) named."""
    bound = None
    for row in store.conn.execute("SELECT kind, subject_id, take_id FROM events ORDER BY id"):
        if row["kind"] == "bind":
            bound = row["subject_id"]
        elif row["kind"] == "unbind":
            bound = None
        elif row["kind"] == "capture":
            assert row["subject_id"] == bound, f"take {row['take_id']} not bound to the scanned student"
    for take in store.takes():
        if take.decision == "accept":
            assert take.subject_id is not None


def test_scan_shoot_accept_and_no_scan_no_shot(ws: Path, vcam: Path) -> None:
    st = Station(ws, vcam)
    st.key(" ")                                            # nobody bound: nothing is shot
    st.expect_text("NO SCAN, NO SHOT")
    st.scan("2019000001")
    st.wait("binding", lambda s: bound_code(s) == "2019000001")
    st.key(" ")
    st.wait("first take", n_takes(1))
    st.key("a")
    st.wait("accept", lambda s: take_rows(s)[0][2] == "accept" and bound_code(s) is None)
    st.key(" ")                                            # binding closed: press shoots nothing
    st.expect_text("nobody is bound; nothing was shot")
    st.scan("2019000002")
    st.wait("second binding", lambda s: bound_code(s) == "2019000002")
    st.key("\r")                                           # Enter on an empty line shoots too
    st.wait("second take", n_takes(2))
    st.key("a")
    st.wait("second accept", lambda s: bound_code(s) is None and take_rows(s)[1][2] == "accept")
    st.key("\r")
    st.drain(1.0)
    st.quit()
    with Store.open(ws) as store:
        assert take_rows(store) == [(1, "2019000001", "accept"), (2, "2019000002", "accept")]
        assert_every_accepted_take_belongs_to_the_scan_before_it(store)
        assert len(list((ws / "originals").rglob("*.jpg"))) == 2
    assert (ws / "preview" / "latest.jpg").is_file()


def test_reject_reshoot_and_rebind_last_take_moves_exactly_one(ws: Path, vcam: Path) -> None:
    with Store.open(ws) as store:
        started = store.today()
    st = Station(ws, vcam, "--operator", "张老师")
    st.scan("2019000003")
    st.wait("binding", lambda s: bound_code(s) == "2019000003")
    st.key(" ")
    st.wait("take 1", n_takes(1))
    st.key("r")
    st.expect_text("reason")
    st.key("\r")                                           # default reason
    st.wait("reject", lambda s: take_rows(s)[0][2] == "reject")
    st.key(" ")                                            # still bound: shoot again
    st.wait("take 2", n_takes(2))
    st.key("u")                                            # wrong person in the chair: rebind the last take
    st.expect_text("REBIND take 2")
    st.scan("2019000004")
    st.wait("rebind", lambda s: take_rows(s)[1][1] == "2019000004")
    st.quit()
    with Store.open(ws) as store:
        assert take_rows(store) == [(1, "2019000003", "reject"), (2, "2019000004", None)]
        rebinds = store.conn.execute("SELECT * FROM events WHERE kind = 'rebind'").fetchall()
        assert len(rebinds) == 1 and rebinds[0]["take_id"] == 2 and rebinds[0]["operator"] == "张老师"
        assert json.loads(rebinds[0]["data"])["reason"]
        if store.today() == started:
            assert bound_code(store) == "2019000003"      # the binding itself did not move
        else:                                              # a run across midnight: the binding ended with its day
            assert bound_code(store) is None


def test_pedal_letter_b_shoots_but_a_scan_holding_b_and_spaces_does_not(tmp_path: Path, vcam: Path) -> None:
    store = new_workspace(tmp_path / "ws")               # registry session: no roster, the code is the subject
    store.close()
    ws = tmp_path / "ws"
    toml = ws / "station.toml"
    toml.write_text(re.sub(r"shoot_keys = .*", 'shoot_keys = ["b"]', toml.read_text()), encoding="utf-8")
    st = Station(ws, vcam)
    st.scan("bb 2019 b77 a r x q")                         # commands and the shoot letter inside a scan
    st.wait("binding", lambda s: bound_code(s) == "bb 2019 b77 a r x q")
    st.drain(1.0)
    with Store.open(ws) as s:
        assert s.takes() == []
    st.key(" ")                                            # space is no longer a shoot key
    st.expect_text("does nothing")
    st.key("b")
    st.wait("take by pedal", n_takes(1))
    st.quit()
    with Store.open(ws) as s:
        assert take_rows(s) == [(1, "bb 2019 b77 a r x q", None)]


def test_kill9_mid_session_then_restart_resumes_binding_queue_and_numbers(ws: Path, vcam: Path) -> None:
    st = Station(ws, vcam, "--queue")
    for code in ("2019000005", "2019000002", "2019000007"):
        st.scan(code)
        st.drain(0.3)
    st.wait("queue of 3", lambda s: [x.code for x in s.queue()] == ["2019000005", "2019000002", "2019000007"])
    st.key("n")
    st.wait("first bound", lambda s: bound_code(s) == "2019000005")
    st.key(" ")
    st.wait("take 1", n_takes(1))
    st.kill9()

    st = Station(ws, vcam, "--queue")
    st.expect_text("resumed: 2019000005 is bound")
    with Store.open(ws) as s:
        assert bound_code(s) == "2019000005"
        assert [x.code for x in s.queue()] == ["2019000002", "2019000007"]
        assert s.reconcile().clean
    st.key("a")
    st.wait("accept after restart", lambda s: bound_code(s) is None and take_rows(s)[0][2] == "accept")
    st.key("n")
    st.wait("second bound", lambda s: bound_code(s) == "2019000002")
    st.expect_text("No. 2")
    st.key(" ")
    st.wait("take 2", n_takes(2))
    st.quit()
    with Store.open(ws) as s:
        numbers = {code: s.shoot_no_today(s.find_subject("code", code).id)
                   for code in ("2019000005", "2019000002", "2019000007")}
        assert numbers == {"2019000005": 1, "2019000002": 2, "2019000007": 3}
        assert take_rows(s) == [(1, "2019000005", "accept"), (2, "2019000002", None)]
        assert_every_accepted_take_belongs_to_the_scan_before_it(s)


def test_moving_a_not_yet_shot_binding_warns_and_skip_keeps_review(ws: Path, vcam: Path) -> None:
    st = Station(ws, vcam)
    st.scan("2019000001")
    st.wait("binding", lambda s: bound_code(s) == "2019000001")
    st.scan("2019000001")                                  # the same card again: nothing changes
    st.scan("2019000006")
    st.wait("moved", lambda s: bound_code(s) == "2019000006")
    st.expect_text("binding moved from 2019000001")
    st.key("s")
    st.wait("skip", lambda s: bound_code(s) is None)
    st.quit()
    from station.session.actions import review
    with Store.open(ws) as s:
        status = {r["code"]: r["status"] for r in review(s)["students"]}
        assert status == {"2019000001": "unshot", "2019000006": "skipped"}
        assert s.shoot_no_today(s.find_subject("code", "2019000001").id) == 1


@pytest.mark.parametrize("leave", ["q", "\x03"])
def test_terminal_is_restored_after_quit_and_ctrl_c(ws: Path, vcam: Path, leave: str) -> None:
    env = dict(os.environ, STATION_WORKSPACE=str(ws), VCAMERADIR=str(vcam), TERM="xterm-256color")
    child = pexpect.spawn("/bin/sh", ["-c", f"trap : INT; '{STATION}' shoot --camera virtual; echo EXIT=$?; stty -a"],
                          env=env, dimensions=(60, 170), encoding="utf-8", timeout=WAIT)
    child.expect("CAPTURE STATION")
    time.sleep(0.5)
    child.send(leave)
    child.expect(r"EXIT=(\d+)")
    assert child.match.group(1) == "0"
    child.expect(pexpect.EOF)
    modes = child.before.split()
    assert "icanon" in modes and "echo" in modes and "-icanon" not in modes


def test_desk_checkins_from_another_terminal_join_the_queue_in_order(ws: Path, vcam: Path) -> None:
    from click.testing import CliRunner
    from station.cli.main import cli
    st = Station(ws, vcam, "--queue")
    for code in ("2019000008", "2019000003"):
        result = CliRunner().invoke(cli, ["--workspace", str(ws), "checkin", code, "--queue"])
        assert result.exit_code == 0, result.output
    st.expect_text("排队 queue (2)")                        # the loop shows the desk's queue by itself
    st.key("n")
    st.wait("first of the desk queue", lambda s: bound_code(s) == "2019000008")
    st.key(" ")
    st.wait("take", n_takes(1))
    st.key("a")
    st.key("n")
    st.wait("second", lambda s: bound_code(s) == "2019000003")
    st.quit()
    with Store.open(ws) as s:
        assert [s.shoot_no_today(s.find_subject("code", c).id) for c in ("2019000008", "2019000003")] == [1, 2]
        assert take_rows(s) == [(1, "2019000008", "accept")]


def test_a_second_shoot_on_the_same_workspace_refuses_naming_the_first(ws: Path, vcam: Path) -> None:
    """Two `station shoot` windows on one workspace crossed their decisions: the second now refuses to start
    and names the first (pid, since when); after the first is killed with kill -9 the next one takes over."""
    first = Station(ws, vcam)
    env = dict(os.environ, STATION_WORKSPACE=str(ws), VCAMERADIR=str(vcam), TERM="xterm-256color")
    second = pexpect.spawn(str(STATION), ["shoot", "--camera", "virtual"], env=env, dimensions=(60, 170),
                           encoding="utf-8", timeout=WAIT)
    second.expect(pexpect.EOF)
    second.close()
    said = re.sub(r"\s+", " ", second.before or "")
    assert second.exitstatus == 1 and f"pid {first.child.pid}" in said and "station shoot" in said, said
    assert "Traceback" not in said
    first.scan("2019000001")                               # the first one is untouched
    first.wait("binding", lambda s: bound_code(s) == "2019000001")
    first.kill9()
    third = Station(ws, vcam)
    third.expect_text("ended without closing")
    third.expect_text("resumed")
    third.quit()


def test_a_card_swiped_at_the_chair_binds_its_holder_in_station_shoot(tmp_path: Path, vcam: Path) -> None:
    """`station shoot --reader PORT` with the reader simulator on a pty: the swipe binds the card's holder, the
    status line shows the reader, and the shot goes to that student."""
    sys.path.insert(0, str(Path(__file__).parent))
    from idcard_sim import ReaderSim, SimCard
    from test_roster_import import make_id
    ws = tmp_path / "ws"
    with new_workspace(ws) as store:
        store.upsert_subjects([{"code": "2017001", "student_no": "2017001", "name": "张三丰", "id_number": make_id(11),
                                "college": "化学化工学院", "class_name": "化学1701", "paid": True}],
                              source_file="roster.xlsx")
    sim = ReaderSim()
    try:
        st = Station(ws, vcam, "--reader", sim.path)
        st.expect_text("已连接")
        sim.present(SimCard(name="张三丰", id_number=make_id(11)))
        st.wait("the swipe's binding", lambda s: bound_code(s) == "2017001")
        st.expect_text("已读卡")
        st.key(" ")
        st.wait("the take", n_takes(1))
        with Store.open(ws) as s:
            assert take_rows(s) == [(1, "2017001", None)]
        st.quit()
    finally:
        sim.close()
