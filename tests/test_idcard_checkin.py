"""ID-card check-in: the real reader driver on a pty simulator (tests/idcard_sim.py) feeding the real check-in
path into a real workspace; the desk loop as a real `station checkin --reader` process; `station doctor`."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from camera.idcard import CardRead, IdCardReader, ReaderReady
from idcard_sim import PHOTO, ReaderSim, SimCard
from station.core.errors import IdentityError
from station.session.idcard_checkin import check_in_card, same_name
from station.session.actions import Session
from station.store.workspace import Store
from test_idcard import Events, polls_after, start_reader
from test_roster_import import make_id
from workspace_factory import new_workspace, run_cli

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages

ID_ZHANG, ID_LI, ID_WANG = make_id(11), make_id(22), make_id(33)
ZHANG = SimCard(name="张三丰", id_number=ID_ZHANG)
LI_CARD = SimCard(name="李小红", id_number=ID_LI, sex_code="2")          # the roster says 李晓红
STRANGER = SimCard(name="赵六", id_number=make_id(44))                   # valid, but not in the roster
ROSTER = [{"code": "2017001", "student_no": "2017001", "name": "张三丰", "id_number": ID_ZHANG,
           "college": "化学化工学院", "class_name": "化学1701", "paid": True},
          {"code": "2017002", "student_no": "2017002", "name": "李晓红", "id_number": ID_LI,
           "college": "化学化工学院", "class_name": "化学1701", "paid": True}]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    with new_workspace(tmp_path / "ws") as store:
        store.upsert_subjects(ROSTER, source_file="roster.xlsx")
    return tmp_path / "ws"


@pytest.fixture
def desk(ws: Path) -> Iterator[tuple[ReaderSim, Events, Session]]:
    sim = ReaderSim()
    events = Events()
    reader = start_reader(sim.path, events)
    store = Store.open(ws)
    try:
        assert events.wait(lambda: bool(events.of(ReaderReady)))
        yield sim, events, Session(store)
    finally:
        reader.stop()
        sim.close()
        store.close()


def test_a_swipe_checks_the_student_in_as_a_scan_of_the_id_number_does(desk, ws: Path) -> None:
    sim, events, session = desk
    sim.present(ZHANG)
    card = events.wait_reads(1)[0].card
    done = check_in_card(session, card)
    assert done.outcome.subject.student_no == "2017001" and done.outcome.bound
    assert done.outcome.shoot_no == 1 and done.outcome.matched_by == "id_number"
    assert done.name_matches is True and done.warnings == ()
    record = session.store.check_ins()[-1]
    assert record.shoot_no == 1
    # the same as typing the ID number: a second check-in (typed) keeps the shooting number
    again = Session(session.store).scan(ID_ZHANG)
    assert again.repeated and again.shoot_no == 1


def test_a_name_mismatch_warns_with_both_names_on_screen_and_masked_in_the_log(desk, caplog) -> None:
    sim, events, session = desk
    sim.present(LI_CARD)
    caplog.set_level(logging.DEBUG)
    done = check_in_card(session, events.wait_reads(1)[0].card)
    assert done.outcome.subject.student_no == "2017002"          # still checked in: the operator decides
    assert done.name_matches is False
    assert any("李小红" in w and "李晓红" in w for w in done.warnings)
    logged = caplog.text
    assert "李**" in logged and "李小红" not in logged and "李晓红" not in logged and ID_LI not in logged


def test_no_card_on_the_reader_checks_nobody_in(desk) -> None:
    sim, events, session = desk
    assert sim.wait_until(polls_after(sim, "no_card", 6))
    assert events.of(CardRead) == [] and session.store.check_ins() == []


def test_a_card_pulled_mid_read_checks_nobody_in_until_it_is_swiped_again(desk) -> None:
    sim, events, session = desk
    sim.fault("read", "pulled")                   # half a reply, then the card is gone
    sim.present(ZHANG)
    assert sim.wait_until(lambda: sim.count("read") >= 1)
    assert sim.wait_until(polls_after(sim, "no_card", 3))
    assert events.of(CardRead) == [] and session.store.check_ins() == []
    sim.present(ZHANG)
    done = check_in_card(session, events.wait_reads(1)[0].card)
    assert done.outcome.shoot_no == 1 and len(session.store.check_ins()) == 1


def test_a_card_not_in_the_roster_binds_nobody(desk) -> None:
    sim, events, session = desk
    sim.present(STRANGER)
    with pytest.raises(IdentityError, match="not in the roster"):
        check_in_card(session, events.wait_reads(1)[0].card)
    assert session.store.check_ins() == []


def test_nothing_of_the_card_but_its_number_reaches_the_workspace(desk, ws: Path) -> None:
    sim, events, session = desk
    sim.present(ZHANG)
    check_in_card(session, events.wait_reads(1)[0].card)
    session.store.close()
    for path in ws.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PHOTO[:64] not in data, path                       # the card photo, never stored
            assert ZHANG.address.encode("utf-8") not in data, path    # nor the address


def test_names_compare_as_people_write_them() -> None:
    assert same_name("阿依古丽·买买提", "阿依古丽.买买提") and same_name("阿依古丽·买买提", "阿依古丽 买买提")
    assert same_name("ＳＭＩＴＨ JOHN", "smith john") and not same_name("李小红", "李晓红")


# ------------------------------------------------------------------------------------------ the desk loop
def _station(ws: Path, *args: str, lang: str = "zh") -> pexpect.spawn:
    env = {**os.environ, "STATION_LANG": lang, "PYTHONUNBUFFERED": "1"}
    return pexpect.spawn(sys.executable, ["-m", "station.cli.main", "-w", str(ws), *args], env=env,
                         encoding="utf-8", timeout=30)


def test_the_desk_loop_checks_in_each_swipe_until_ctrl_c(ws: Path) -> None:
    sim = ReaderSim()
    try:
        desk = _station(ws, "checkin", "--reader", sim.path)
        desk.expect("读卡器已就绪")
        sim.present(ZHANG)
        desk.expect(r"拍摄号 1  张三丰  2017001")
        sim.remove()
        assert sim.wait_until(polls_after(sim, "no_card", 2))
        sim.present(STRANGER)
        desk.expect("不在名单中|not in the roster")
        sim.remove()
        assert sim.wait_until(polls_after(sim, "no_card", 2))
        sim.present(LI_CARD)
        desk.expect(r"拍摄号 2  李晓红")
        desk.expect("身份证上的姓名是 李小红，名单上是 李晓红")
        desk.kill(signal.SIGINT)
        desk.expect("2 人刷卡签到")
        desk.expect(pexpect.EOF)
        desk.close()
        assert desk.exitstatus == 0
    finally:
        sim.close()
    with Store.open(ws) as store:
        assert [r.shoot_no for r in store.check_ins()] == [1, 2]


def test_checkin_needs_a_code_or_a_reader(ws: Path) -> None:
    result = run_cli(ws, "checkin")
    assert result.exit_code == 2 and "--reader" in result.output


def test_doctor_lists_the_reader(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir(mode=0o700)
    sim = ReaderSim()
    try:
        result = run_cli(workspace, "doctor", "--reader", sim.path)
    finally:
        sim.close()
    assert f"ID-card reader: {sim.path} (SAM 05.01-20101111-0012345678-0123456789)" in result.output
    gone = run_cli(workspace, "doctor", "--reader", str(tmp_path / "no-such-tty"))
    assert "WARN  ID-card reader: none answering" in gone.output
