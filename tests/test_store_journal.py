"""The journal's clock, its event kinds and its one-transaction decisions, on a real SQLite workspace."""
from __future__ import annotations

import ast
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from station.session.actions import Session
from station.store.clock import FixedClock
from station.store.kinds import EventKind
from station.store.models import CapturedFile
from station.store.workspace import Store
from workspace_factory import make_settings, roster_rows

STORE = Path(__file__).resolve().parents[1] / "station" / "store"


@pytest.fixture
def late(tmp_path: Path):
    """A workspace whose clock says one minute to midnight."""
    from station.store.workspace import init_workspace
    clock = FixedClock(datetime(2025, 12, 18, 23, 59))
    store = init_workspace(tmp_path / "ws", make_settings("S1"), clock=clock)
    store.upsert_subjects(roster_rows(3), source_file="roster.csv")
    yield store, clock
    store.close()


def test_events_carry_the_clocks_time_and_shooting_numbers_restart_at_midnight(late) -> None:
    store, clock = late
    session = Session(store)
    first = session.scan("2019000001")
    assert (first.shoot_no, store.today()) == (1, "2025-12-18")
    clock.advance(minutes=2)                                  # 00:01 the next day
    second = session.scan("2019000002")
    assert (second.shoot_no, store.today()) == (1, "2025-12-19")
    again = session.scan("2019000001")                        # a new day: a new number, not yesterday's
    assert again.shoot_no == 2 and not again.repeated
    rows = store.conn.execute("SELECT ts, day FROM events WHERE kind = 'check_in' ORDER BY id").fetchall()
    assert [r["day"] for r in rows] == ["2025-12-18", "2025-12-19", "2025-12-19"]
    assert rows[0]["ts"].startswith("2025-12-18T23:59:00") and rows[1]["ts"].startswith("2025-12-19T00:01:00")


def test_the_hand_set_college_lasts_until_the_end_of_the_clocks_day(late) -> None:
    from station.session.college import current_college, set_college
    store, clock = late
    set_college(store, "文学院")
    assert current_college(store) == "文学院"
    clock.advance(minutes=2)
    assert current_college(store) is None                    # a new day starts without yesterday's setting


def test_accept_and_its_unbind_are_one_transaction(late) -> None:
    store, _ = late
    subject = store.find_subject("code", "2019000001")
    store.check_in(subject, scanned=subject.code, via="student_no")
    take = store.record_capture([CapturedFile(b"jpeg")], subject_id=subject.id, source="trigger")
    # the unbind cannot be written (a fault injected into the real journal): the accept must not stand alone
    store.conn.execute("CREATE TEMP TRIGGER fail_unbind BEFORE INSERT ON events WHEN NEW.kind = 'unbind'"
                       " BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
    with pytest.raises(sqlite3.DatabaseError, match="injected fault"):
        store.accept(take.id)
    assert store.take(take.id).decision is None and store.bound_subject().id == subject.id
    store.conn.execute("DROP TRIGGER fail_unbind")
    store.accept(take.id)
    kinds = [r[0] for r in store.conn.execute("SELECT kind FROM events WHERE id > (SELECT MAX(id) FROM events"
                                              " WHERE kind = 'capture') ORDER BY id")]
    assert kinds == ["accept", "unbind"] and store.bound_subject() is None


def test_skip_is_one_transaction_too(late) -> None:
    store, _ = late
    subject = store.find_subject("code", "2019000002")
    store.check_in(subject, scanned=subject.code, via="student_no")
    store.conn.execute("CREATE TEMP TRIGGER fail_unbind BEFORE INSERT ON events WHEN NEW.kind = 'unbind'"
                       " BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
    with pytest.raises(sqlite3.DatabaseError):
        store.skip(reason="left")
    assert store.skipped_ids() == set() and store.bound_subject().id == subject.id


def test_a_session_writes_only_kinds_of_the_enum(late) -> None:
    store, _ = late
    session = Session(store)
    session.scan("2019000001")
    session.skip("gone")
    kinds = {r[0] for r in store.conn.execute("SELECT DISTINCT kind FROM events")}
    assert kinds <= {k.value for k in EventKind}
    assert {"init", "roster_import", "check_in", "bind", "skip", "unbind"} <= kinds


def _kinds_named(path: Path) -> set[str]:
    """EventKind members a module names (as `K.X` or `EventKind.X`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("K",
                                                                                                      "EventKind"):
            found.add(node.attr)
    return found


def test_every_kind_the_read_model_asks_for_is_written_somewhere() -> None:
    station = STORE.parent
    read = _kinds_named(STORE / "queries.py") | _kinds_named(STORE / "journal.py")
    written = _kinds_named(STORE / "writer.py") | _kinds_named(STORE / "workspace.py")
    for path in station.rglob("*.py"):
        text = path.read_text("utf-8")
        if path.parent != STORE and ".event(" in text:
            written |= _kinds_named(path)
    assert read <= written, f"read but never written: {sorted(read - written)}"
    assert read <= set(EventKind.__members__)
