"""The ID-card reader driver, driven through a pseudo-terminal by a simulated SAM reader.

Every test below the parsing section runs the real driver (pyserial, its polling thread, framing and
resync) against tests/idcard_sim.py. Waits are on the simulator's reply counts or on events, with
generous timeouts; nothing asserts how long anything took.
"""
from __future__ import annotations

import json
import logging
import os
import pickle
import threading
from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest

from camera import sam
from camera.idcard import (CardRead, CardRefused, IdCardReader, ReaderLost, ReaderReady, list_readers, probe,
                           split_base_info)
from camera.idcard_text import (FOREIGN_PERMANENT, RESIDENCE_PERMIT, RESIDENT, CardFormatError,
                                parse_text_block)
from idcard_sim import PHOTO, ReaderSim, SimCard

ZHANG = SimCard(name="张三丰", id_number="43030219990315002X", sex_code="1", birth="19990315")
LI = SimCard(name="李小红", id_number="110105200102280024", sex_code="2", ethnicity_code="03",
             birth="20010228", valid_to="长期")


# -- the text block -------------------------------------------------------------------------------
def test_text_block_becomes_a_typed_record() -> None:
    card = parse_text_block(LI.text_block())
    assert (card.name, card.sex, card.sex_code) == ("李小红", "女", "2")
    assert (card.ethnicity, card.ethnicity_code) == ("回", "03")
    assert card.birth_date == date(2001, 2, 28)
    assert card.id_number == "110105200102280024"
    assert card.address == LI.address and card.authority == LI.authority
    assert card.valid_from == date(2015, 6, 1) and card.valid_to is None      # 长期
    assert card.card_type == RESIDENT


def test_a_name_outside_the_bmp_does_not_shift_the_fields_after_it() -> None:
    card = parse_text_block(SimCard(name="王\U00020000明", id_number="110105200102280024").text_block())
    assert card.name == "王\U00020000明"
    assert card.id_number == "110105200102280024" and card.birth_date == date(1999, 3, 15)


def test_residence_permit_and_foreigner_cards() -> None:
    permit = parse_text_block(SimCard(name="陈大文", id_number="810000199903150017", ethnicity_code="",
                                      card_type="J").text_block())
    assert permit.card_type == RESIDENCE_PERMIT and permit.name == "陈大文" and permit.ethnicity == ""
    foreign = parse_text_block(SimCard(name="", english_name="SMITH JOHN", id_number="USA110099031501",
                                       nationality="USA", card_type="I").text_block())
    assert foreign.card_type == FOREIGN_PERMANENT
    assert (foreign.name, foreign.nationality, foreign.id_number) == ("SMITH JOHN", "USA", "USA110099031501")
    with pytest.raises(CardFormatError, match="Y"):
        parse_text_block(SimCard(name="X", id_number="9" * 18, card_type="Y").text_block())


@pytest.mark.parametrize("change", [{"birth": "19991332"}, {"name": ""}, {"id_number": "四三零"},
                                    {"valid_to": "long"}])
def test_a_text_block_with_an_impossible_field_is_refused(change: dict[str, str]) -> None:
    card = SimCard(**{**ZHANG.__dict__, **change})
    with pytest.raises(CardFormatError):
        parse_text_block(card.text_block())


def test_the_record_repr_masks_name_and_id_and_omits_the_address() -> None:
    text = repr(parse_text_block(ZHANG.text_block()))
    assert "张**" in text and "430302********002X" in text
    assert "张三丰" not in text and "43030219990315002X" not in text and "湘潭" not in text


# -- frames ---------------------------------------------------------------------------------------
def test_commands_are_framed_as_readers_expect() -> None:
    assert sam.build_command(*sam.FIND_CARD).hex(" ").upper() == "AA AA AA 96 69 00 03 20 01 22"
    assert sam.build_command(*sam.READ_BASE_INFO).hex(" ").upper() == "AA AA AA 96 69 00 03 30 01 32"


def test_reply_frames_resync_after_noise_and_wait_for_the_rest() -> None:
    failed_read = bytes.fromhex("AAAAAA9669 0004 000041 45")              # a reader's "read failed" reply
    buffer = bytearray(bytes.fromhex("13AAAA96AAAAAA9669FFFF") + failed_read[:6])
    assert sam.take_frame(buffer) is None                                  # incomplete: keep waiting
    buffer += failed_read[6:]
    assert sam.take_frame(buffer) == bytes.fromhex("000041")
    assert buffer == b""
    bad = bytearray(failed_read[:-1] + b"\x00")
    with pytest.raises(sam.FrameError):
        sam.take_frame(bad)


def test_base_info_keeps_the_text_and_drops_the_photo() -> None:
    data = (256).to_bytes(2, "big") + (1024).to_bytes(2, "big") + ZHANG.text_block() + PHOTO
    assert split_base_info(data) == ZHANG.text_block()
    with pytest.raises(sam.FrameError):
        split_base_info(data[:500])


# -- the driver through a pty ----------------------------------------------------------------------
class Events:
    """The reader's event sink: keeps every event, lets a test wait for a condition on them."""

    def __init__(self) -> None:
        self.all: list[object] = []
        self._cond = threading.Condition()

    def __call__(self, event: object) -> None:
        with self._cond:
            self.all.append(event)
            self._cond.notify_all()

    def of(self, kind: type) -> list:
        with self._cond:
            return [e for e in self.all if isinstance(e, kind)]

    def wait(self, condition: Callable[[], bool], timeout: float = 15.0) -> bool:
        with self._cond:
            return self._cond.wait_for(condition, timeout=timeout)

    def wait_reads(self, n: int) -> list[CardRead]:
        assert self.wait(lambda: len(self.of(CardRead)) >= n), f"no {n} card reads: {self.all}"
        return self.of(CardRead)


@pytest.fixture
def sim() -> Iterator[ReaderSim]:
    reader = ReaderSim()
    yield reader
    reader.close()


def start_reader(port: str, events: Events, **kw: object) -> IdCardReader:
    options = {"interval": 0.05, "timeout": 1.0, "read_timeout": 2.0, "reopen_interval": 0.1, **kw}
    return IdCardReader(port, events, **options).start()    # type: ignore[arg-type]


@pytest.fixture
def running(sim: ReaderSim) -> Iterator[tuple[ReaderSim, Events, IdCardReader]]:
    events = Events()
    reader = start_reader(sim.path, events)
    assert events.wait(lambda: bool(events.of(ReaderReady)))
    yield sim, events, reader
    reader.stop()


def polls_after(sim: ReaderSim, outcome: str, extra: int) -> Callable[[], bool]:
    """A condition: the driver has polled `extra` more times with this find outcome from now on."""
    target = sim.count("find", outcome) + extra
    return lambda: sim.count("find", outcome) >= target


def test_a_swipe_gives_one_card_read_with_the_card_text(running) -> None:
    sim, events, _ = running
    assert events.of(ReaderReady)[0].sam_id == "05.01-20101111-0012345678-0123456789"
    sim.present(ZHANG)
    read = events.wait_reads(1)[0]
    assert (read.card.name, read.card.id_number, read.card.sex) == ("张三丰", "43030219990315002X", "男")
    assert read.card.birth_date == date(1999, 3, 15)
    assert read.port == sim.path


def test_a_card_left_on_the_reader_is_not_read_again(running) -> None:
    sim, events, _ = running
    sim.present(ZHANG)
    events.wait_reads(1)
    assert sim.wait_until(polls_after(sim, "found", 8))
    assert len(events.of(CardRead)) == 1
    assert sim.count("read") == 1                           # held: only "find" polls, no re-reading


def test_lifting_the_card_and_putting_it_back_reads_it_again(running) -> None:
    sim, events, _ = running
    sim.present(ZHANG)
    events.wait_reads(1)
    sim.remove()
    assert sim.wait_until(polls_after(sim, "no_card", 3))
    sim.present(ZHANG)
    reads = events.wait_reads(2)
    assert [r.card.id_number for r in reads] == [ZHANG.id_number] * 2


def test_another_card_after_the_first_is_read(running) -> None:
    sim, events, _ = running
    sim.present(ZHANG)
    events.wait_reads(1)
    sim.remove()
    assert sim.wait_until(polls_after(sim, "no_card", 1))
    sim.present(LI)
    assert [r.card.name for r in events.wait_reads(2)] == ["张三丰", "李小红"]


@pytest.mark.parametrize("command, kind", [
    ("read", "bad_checksum"), ("find", "bad_checksum"), ("read", "short"), ("read", "silent"),
    ("select", "status:81"), ("read", "status:41"), ("find", "status:24"),
])
def test_a_bad_reply_gives_no_read_and_the_next_poll_reads_the_card(running, command: str, kind: str) -> None:
    sim, events, _ = running
    sim.fault(command, kind)
    sim.present(ZHANG)
    reads = events.wait_reads(1)
    assert sim.count(command, kind) == 1                    # the fault did happen
    assert sim.wait_until(polls_after(sim, "found", 3))
    assert len(events.of(CardRead)) == 1 and reads[0].card.id_number == ZHANG.id_number
    assert reads[0].card.name == "张三丰"


@pytest.mark.parametrize("command", ["find", "read"])
def test_noise_before_a_reply_is_skipped(running, command: str) -> None:
    sim, events, _ = running
    sim.fault(command, "garbage")
    sim.present(ZHANG)
    read = events.wait_reads(1)[0]
    assert sim.count(command, "garbage") == 1
    spot = sim.history.index((command, "garbage")) + 1
    assert sim.wait_until(lambda: len(sim.history) > spot)
    after_noise = sim.history[spot][0]
    assert after_noise == {"find": "select", "read": "find"}[command]   # resynchronised: that reply was used
    assert sim.count("read") == 1                           # and no read had to be retried
    assert read.card.id_number == ZHANG.id_number


def test_a_card_pulled_mid_read_gives_nothing_until_it_is_put_back(running) -> None:
    sim, events, _ = running
    sim.fault("read", "pulled")
    sim.present(ZHANG)
    assert sim.wait_until(lambda: sim.count("read", "pulled") == 1)
    assert sim.wait_until(polls_after(sim, "no_card", 3))
    assert events.of(CardRead) == []
    sim.present(ZHANG)
    assert events.wait_reads(1)[0].card.name == "张三丰"


def test_no_card_gives_no_event(running) -> None:
    sim, events, _ = running
    assert sim.wait_until(polls_after(sim, "no_card", 5))
    assert [type(e) for e in events.all] == [ReaderReady]
    assert sim.count("read") == 0


def test_an_unsupported_card_is_refused_once_per_presentation(running) -> None:
    sim, events, _ = running
    sim.present(SimCard(name="X", id_number="9" * 18, card_type="Y"))
    assert events.wait(lambda: bool(events.of(CardRefused)))
    assert sim.wait_until(polls_after(sim, "found", 5))
    assert len(events.of(CardRefused)) == 1 and events.of(CardRead) == []
    assert "不支持" in events.of(CardRefused)[0].reason


def test_the_photo_never_reaches_the_record(running) -> None:
    sim, events, _ = running
    sim.present(ZHANG)
    read = events.wait_reads(1)[0]
    values = [getattr(read.card, f.name) for f in fields(read.card)]
    assert not any(isinstance(v, (bytes, bytearray, memoryview)) for v in values)
    flattened = pickle.dumps(read)
    assert PHOTO[:8] not in flattened and PHOTO[100:132] not in flattened


def test_logs_never_carry_the_full_name_or_id_number(sim: ReaderSim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="camera")
    events = Events()
    reader = start_reader(sim.path, events)
    try:
        sim.fault("read", "short")
        sim.fault("read", "bad_checksum")
        sim.present(ZHANG)
        events.wait_reads(1)
    finally:
        reader.stop()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "张**" in logged                                  # the read is logged, masked
    assert "张三丰" not in logged and ZHANG.id_number not in logged and "湘潭市雨湖区" not in logged


def test_unplugging_reports_the_reader_lost_and_the_thread_ends(sim: ReaderSim) -> None:
    events = Events()
    reader = start_reader(sim.path, events, reconnect=False)
    assert events.wait(lambda: bool(events.of(ReaderReady)))
    sim.unplug()
    assert events.wait(lambda: bool(events.of(ReaderLost)))
    assert reader.join(timeout=15)                             # ends by itself: nobody called stop()
    assert events.of(CardRead) == []
    reader.stop()


def test_a_replugged_reader_is_picked_up_again(tmp_path: Path) -> None:
    """The station names the reader by a stable link (/dev/serial/by-id/...), which a replug re-points."""
    first, link = ReaderSim(), tmp_path / "usb-idcard-reader"
    link.symlink_to(first.path)
    events = Events()
    reader = start_reader(str(link), events)
    second = None
    try:
        first.present(ZHANG)
        events.wait_reads(1)
        first.unplug()
        assert events.wait(lambda: bool(events.of(ReaderLost)))
        second = ReaderSim()
        fresh = tmp_path / "new-link"
        fresh.symlink_to(second.path)
        os.replace(fresh, link)
        assert events.wait(lambda: len(events.of(ReaderReady)) == 2)
        second.present(LI)
        assert [r.card.name for r in events.wait_reads(2)] == ["张三丰", "李小红"]
        assert len(events.of(ReaderLost)) == 1
    finally:
        reader.stop()
        first.close()
        if second is not None:
            second.close()


def test_a_reader_that_stops_answering_is_reported_and_welcomed_back(sim: ReaderSim) -> None:
    events = Events()
    reader = start_reader(sim.path, events, timeout=0.2, silent_polls=3)
    try:
        assert events.wait(lambda: bool(events.of(ReaderReady)))
        sim.mute()
        assert events.wait(lambda: bool(events.of(ReaderLost)))
        assert "无应答" in events.of(ReaderLost)[0].reason
        sim.mute(False)
        assert events.wait(lambda: len(events.of(ReaderReady)) == 2)
        sim.present(ZHANG)
        events.wait_reads(1)
    finally:
        reader.stop()


def test_a_reader_that_does_not_tell_its_sam_number_is_still_used(sim: ReaderSim) -> None:
    sim.fault("sam", "silent")
    sim.fault("sam", "silent")                                 # the start-up greeting and the probe below
    events = Events()
    reader = start_reader(sim.path, events)
    try:
        assert events.wait(lambda: bool(events.of(ReaderReady)))
        assert events.of(ReaderReady)[0].sam_id is None
        sim.present(ZHANG)
        events.wait_reads(1)
    finally:
        reader.stop()
    info = probe(sim.path, timeout=0.3)
    assert info is not None and info.sam_id is None


def test_an_event_handler_may_stop_the_reader(sim: ReaderSim) -> None:
    events = Events()
    holder: list[IdCardReader] = []

    def stop_on_read(event: object) -> None:
        events(event)
        if isinstance(event, CardRead):
            holder[0].stop()

    holder.append(start_reader(sim.path, stop_on_read))
    sim.present(ZHANG)
    events.wait_reads(1)
    assert holder[0].join(timeout=15)


def test_a_missing_port_fails_at_start_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(sam.ReaderUnavailable) as caught:
        IdCardReader(str(tmp_path / "ttyUSB9")).start()
    assert caught.value.hint and "USB" in caught.value.hint


def test_events_go_to_the_queue_when_no_callback_is_given(sim: ReaderSim) -> None:
    reader = IdCardReader(sim.path, interval=0.05, timeout=0.5).start()
    try:
        sim.present(ZHANG)
        seen = [reader.events.get(timeout=15) for _ in range(2)]
    finally:
        reader.stop()
    assert isinstance(seen[0], ReaderReady) and isinstance(seen[1], CardRead)


def test_probe_finds_the_reader_and_not_a_silent_tty(sim: ReaderSim) -> None:
    silent_master, silent_slave = os.openpty()                 # a tty where nothing answers
    try:
        silent = os.ttyname(silent_slave)
        info = probe(sim.path, timeout=3.0)
        assert info is not None and info.sam_id == "05.01-20101111-0012345678-0123456789"
        assert probe(silent, timeout=0.3) is None
        assert [r.port for r in list_readers([silent, sim.path], timeout=1.5)] == [sim.path]
    finally:
        os.close(silent_master)
        os.close(silent_slave)


# ------------------------------------------------------------------------------- hostile text from devices
HOSTILE_NAME = "\x1b]0;pwned\x07张\u202e三"          # a terminal title sequence and a right-to-left override


def test_card_text_reaches_the_station_without_escape_control_or_bidi_characters(running) -> None:
    sim, events, _reader = running
    sim.present(SimCard(name=HOSTILE_NAME, id_number="430302199903150119",
                        address="湖南\x1b[2J省\x00湘潭\u2066市"))
    card = events.wait_reads(1)[0].card
    assert card.name == "张三" and card.address == "湖南省湘潭市"


def test_the_desk_loop_prints_no_escape_sequence_from_a_card(tmp_path: Path) -> None:
    """The real `station checkin --reader` on the simulator: the terminal never receives the card's ESC or U+202E."""
    import subprocess
    import sys
    import time
    from station.core.idnumber import check_character
    from station.store.workspace import Store
    from workspace_factory import new_workspace
    first17 = "43030219990315011"
    id_number = first17 + check_character(first17)
    with new_workspace(tmp_path / "ws") as store:
        store.upsert_subjects([{"code": "2017001", "student_no": "2017001", "name": "张三", "id_number": id_number,
                                "college": "化学化工学院"}], source_file="roster.xlsx")
    sim = ReaderSim()
    log = tmp_path / "desk.out"
    try:
        with log.open("wb") as out:
            desk = subprocess.Popen([sys.executable, "-m", "station.cli.main", "-w", str(tmp_path / "ws"), "checkin",
                                     "--reader", sim.path], stdout=out, stderr=subprocess.STDOUT,
                                    env={**os.environ, "STATION_LANG": "zh", "PYTHONUNBUFFERED": "1"})
            try:
                deadline = time.monotonic() + 30
                while "读卡器已就绪" not in log.read_text("utf-8", "replace") and time.monotonic() < deadline:
                    time.sleep(0.05)
                sim.present(SimCard(name=HOSTILE_NAME, id_number=id_number))
                while "拍摄号 1" not in log.read_text("utf-8", "replace") and time.monotonic() < deadline:
                    time.sleep(0.05)
            finally:
                desk.terminate()
                desk.wait(10)
    finally:
        sim.close()
    printed = log.read_text("utf-8")
    assert "拍摄号 1" in printed and "张三" in printed
    assert "\x1b" not in printed and "\u202e" not in printed and "pwned" not in printed
    with Store.open(tmp_path / "ws") as store:
        assert [r.shoot_no for r in store.check_ins()] == [1]


def test_a_scanner_burst_is_cleaned_before_the_screen_the_journal_and_the_log(tmp_path: Path, caplog) -> None:
    from station.session.actions import Session
    from station.store.workspace import Store
    from workspace_factory import new_workspace, run_cli
    with new_workspace(tmp_path / "ws") as store:
        store.upsert_subjects([{"code": "2017001", "student_no": "2017001", "name": "张三"}], source_file="r.csv")
    burst = "\x1b]0;pwned\x072017\u202e001\x1b[31m\r"
    result = run_cli(tmp_path / "ws", "checkin", burst)
    assert result.exit_code == 0, result.output
    assert "2017001" in result.output and "\x1b" not in result.output and "\u202e" not in result.output
    unknown = run_cli(tmp_path / "ws", "checkin", "\x1b]0;pwned\x07K999\u202e")
    assert unknown.exit_code == 1 and "\x1b" not in unknown.output and "\u202e" not in unknown.output
    caplog.set_level(logging.DEBUG)
    with Store.open(tmp_path / "ws") as store:
        Session(store).scan(burst)
        scanned = [json.loads(r[0])["scanned"] for r in store.conn.execute(
            "SELECT data FROM events WHERE kind = 'check_in'")]
    assert scanned == ["2017001"]
    assert not any("\x1b" in r.getMessage() or "\u202e" in r.getMessage() for r in caplog.records)
