"""The current state the writer keeps (take_current) always equals the state the events alone give: after a
scripted day with rejects, rebinds, voids, overrides, re-shoots and unbound frames, after a kill -9 in the
middle of one, and when a journal of the older schema (state computed by the view) is opened and upgraded."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import day_script
import fault_scenarios as fs
import workspace_factory as wf
from station.store import journal
from station.store.workspace import JOURNAL_FILE, Store

#: the take_state view of schema 1 (before take_current), to make an old journal
OLD_VIEW = """
CREATE VIEW take_state AS
SELECT t.id AS take_id, t.seq, t.captured_at, t.source, t.station_id,
  (SELECT e.subject_id FROM events e WHERE e.take_id = t.id AND e.kind IN ('capture', 'rebind')
     ORDER BY e.id DESC LIMIT 1) AS subject_id,
  CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.take_id = t.id AND e.kind = 'void') THEN 'void'
       ELSE (SELECT e.kind FROM events e WHERE e.take_id = t.id AND e.kind IN ('accept', 'reject')
               ORDER BY e.id DESC LIMIT 1) END AS decision,
  (SELECT e.id FROM events e WHERE e.take_id = t.id AND e.kind IN ('accept', 'reject', 'void')
     ORDER BY e.id DESC LIMIT 1) AS decision_event,
  (SELECT e.data FROM events e WHERE e.take_id = t.id AND e.kind = 'verdict'
     ORDER BY e.id DESC LIMIT 1) AS verdict
FROM takes t;
"""


def _day(path: Path, students: int = 120, takes: int = 150) -> tuple[Store, day_script.Day]:
    store = wf.new_workspace(path)
    store.upsert_subjects(wf.roster_rows(students), source_file="day")
    day = day_script.play(store, store.subjects(), wf.bad_photo(), day_script.Day(), takes)
    return store, day


def _same(store: Store) -> None:
    maintained = journal.maintained_take_state(store.conn)
    assert maintained == journal.derived_take_state(store.conn)
    assert len(maintained) == store.take_count()


def test_a_scripted_day_keeps_the_state_its_events_give(tmp_path: Path) -> None:
    store, day = _day(tmp_path / "ws")
    try:
        assert {"refused", "voided", "rebound", "overridden", "unbound", "skipped", "queued"} <= day.counts.keys()
        _same(store)
        decisions = {t.decision for t in store.takes()}
        assert {"accept", "reject", "void", None} <= decisions
        overridden = [t for t in store.accepted_takes() if t.override]
        assert len(overridden) == day.counts["overridden"]
        # what a screen asks, answered from the kept state: one student's takes, the unbound frames
        rebound_to = store.subjects()[8]          # position 7 shot the wrong person: the take moved to 8
        assert any(t.decision is None for t in store.takes(subject_id=rebound_to.id))
        assert all(t.subject_id is None and t.decision != "void" for t in store.unbound_takes())
    finally:
        store.close()


KILLED_DAY = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    import day_script, workspace_factory as wf
    from station.store.workspace import Store
    store = Store.open(Path(sys.argv[1]))
    day_script.play(store, store.subjects(), wf.bad_photo(), day_script.Day(), 200)
""")


def test_a_day_killed_in_the_middle_keeps_the_state_its_events_give(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    store = wf.new_workspace(ws)
    store.upsert_subjects(wf.roster_rows(150), source_file="day")
    store.close()
    script = tmp_path / "day.py"
    script.write_text(KILLED_DAY, "utf-8")
    for step in ("decision.before_commit#9", "capture.before_commit#30", "verdict.before_commit#45"):
        done = subprocess.run([sys.executable, str(script), str(ws), str(Path(__file__).parent)],
                              env=fs.env(step), capture_output=True, text=True, timeout=300)
        assert done.returncode == -9, done.stderr[-2000:]
        with Store.open(ws) as reopened:
            _same(reopened)
            reopened.recover()            # what the next capture does with the killed one's files
            _same(reopened)


def _make_schema_1(path: Path) -> None:
    """Turn a journal back into schema 1: no take_current, the old view, version 1."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("DROP VIEW take_state; DROP TABLE take_current; DROP INDEX events_check_in; DROP INDEX events_station;"
                     + OLD_VIEW + "UPDATE meta SET value = '1' WHERE key = 'schema_version';")
    db.close()


def test_a_journal_of_the_older_schema_is_upgraded_when_opened(tmp_path: Path) -> None:
    store, _day_played = _day(tmp_path / "ws", students=60, takes=70)
    before = [(t.id, t.subject_id, t.decision, t.verdict) for t in store.takes()]
    accepted = store.accepted_takes()
    store.close()
    _make_schema_1(tmp_path / "ws" / JOURNAL_FILE)
    with Store.open(tmp_path / "ws") as upgraded:
        assert journal.schema_version(upgraded.conn) == journal.SCHEMA_VERSION
        assert [(t.id, t.subject_id, t.decision, t.verdict) for t in upgraded.takes()] == before
        assert upgraded.accepted_takes() == accepted
        _same(upgraded)
        # and it goes on: a new take is kept in the upgraded state
        subject = upgraded.subjects()[-1]
        upgraded.check_in(subject, scanned=subject.code, via="student_no")
        day_script.play(upgraded, upgraded.subjects()[-1:], wf.bad_photo(), day_script.Day(), 1)
        _same(upgraded)
