"""Reading and writing apart (issue 21): code that only reads a workspace opens `ReadModel.open(path)`, SQLite
read-only, so it can neither write by mistake nor run schema writes on another station's journal; a writable
`Store` is opened only by code that writes through it. Checked from the source with ast, and by behaviour."""
from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest

import workspace_factory as wf
from station.core.errors import StoreError
from station.store import journal
from station.store.queries import TOPICS, ReadModel
from station.store.workspace import JOURNAL_FILE, Store
from station.store.writer import JournalWriter

ROOT = Path(__file__).resolve().parents[1]
#: what opens a writable store
OPENERS = {"open_store", "Store"}
#: the writer's commands: calling one of them on the opened store is writing through it
WRITER_COMMANDS = {name for name in vars(JournalWriter) if not name.startswith("_")} | {"recover"}
#: handing the store to one of these is writing through it (each writes the journal with it)
WRITES_THROUGH = {"Session", "StationController", "import_roster", "import_photos", "import_schedule", "set_college",
                  "run_reader_desk", "enrol_folder", "_session", "check_in_card", "purge", "run_shoot"}
#: functions allowed to open a writable store although they do not write through it here, and why
ALLOWED = {
    "station/cli/support.py:open_store": "the one place the CLI opens a workspace for writing (hands it on)",
    "station/session/runtime.py:make": "the runtime's controller writes through it (Session below)",
    "station/cli/commands/setup.py:status_cmd": "the station's health: can its journal be written (readonly_reason)",
}


def _opens_store(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in OPENERS
    return isinstance(func, ast.Attribute) and func.attr == "open" and isinstance(func.value, ast.Name) \
        and func.value.id == "Store"


def _offenders() -> list[str]:
    found = []
    for path in sorted((ROOT / "station").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("station/store/"):
            continue
        tree = ast.parse(path.read_text("utf-8"), rel)
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if not any(isinstance(n, ast.Call) and _opens_store(n) for n in ast.walk(fn)):
                continue
            writes = False
            for node in ast.walk(fn):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if isinstance(func, ast.Attribute) and name in WRITER_COMMANDS:
                        writes = True
                    if name in WRITES_THROUGH:
                        writes = True
            if not writes and f"{rel}:{fn.name}" not in ALLOWED:
                found.append(f"{rel}:{fn.name} (line {fn.lineno})")
    return found


def test_code_outside_the_store_opens_a_writable_store_only_to_write_through_it() -> None:
    offenders = _offenders()
    assert not offenders, ("these open a writable Store but never write through it; read with "
                           f"ReadModel.open(workspace) instead: {offenders}")


def test_no_class_in_the_store_has_more_than_30_methods() -> None:
    """Methods a class has, its bases' included (the read model is split into topics; the writer's crash
    salvage is a class of its own). The store's classes only: the rest of station/ belongs to other issues."""
    classes: dict[str, tuple[set[str], list[str]]] = {}
    for path in sorted((ROOT / "station" / "store").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef):
                own = {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
                bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]
                classes[node.name] = (own, bases)

    def methods(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        own, bases = classes.get(name, (set(), []))
        return own.union(*(methods(b, seen | {name}) for b in bases if b in classes and b not in seen))
    over = {name: len(methods(name)) for name in classes if len(methods(name)) > 30}
    assert not over, over


def test_the_read_model_answers_every_query_by_its_old_name_from_its_topic(tmp_path: Path) -> None:
    store = wf.new_workspace(tmp_path / "ws")
    try:
        for attr, cls in TOPICS:
            for name in (n for n in vars(cls) if not n.startswith("_")):
                assert getattr(store.read, name).__self__ is getattr(store.read, attr)
                assert getattr(store, name).__self__ is getattr(store.read, attr)     # Store's old names too
    finally:
        store.close()


def test_a_read_only_view_reads_a_workspace_and_cannot_write_it(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    store = wf.new_workspace(ws, station_id="S7")
    wf.populate(store, wf.roster_rows(6), outcome=wf.cycle_outcomes(), photo=wf.bad_photo())
    expected = (store.statuses(), store.accepted_takes(), [t.id for t in store.takes()])
    store.close()
    before = (ws / JOURNAL_FILE).read_bytes()
    with ReadModel.open(ws) as read:
        assert read.station_id == "S7"
        assert (read.statuses(), read.accepted_takes(), [t.id for t in read.takes()]) == expected
        with pytest.raises(Exception):
            read.conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    assert (ws / JOURNAL_FILE).read_bytes() == before
    with pytest.raises(StoreError):
        ReadModel.open(tmp_path / "nowhere")


def test_a_read_only_view_of_an_older_journal_reads_it_without_upgrading_it(tmp_path: Path) -> None:
    """Another station's copy of a schema-1 journal: read as it is (state computed in TEMP), never upgraded."""
    from test_store_state import _make_schema_1
    ws = tmp_path / "ws"
    store = wf.new_workspace(ws)
    wf.populate(store, wf.roster_rows(6), outcome=wf.cycle_outcomes(), photo=wf.bad_photo())
    expected = (store.statuses(), [(t.id, t.subject_id, t.decision) for t in store.takes()])
    store.close()
    _make_schema_1(ws / JOURNAL_FILE)
    with ReadModel.open(ws / JOURNAL_FILE) as read:             # the journal file itself: a replicated copy
        assert (read.statuses(), [(t.id, t.subject_id, t.decision) for t in read.takes()]) == expected
    db = sqlite3.connect(ws / JOURNAL_FILE)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "1"
    db.close()
    with Store.open(ws) as upgraded:                            # the station itself upgrades it
        assert journal.schema_version(upgraded.conn) == journal.SCHEMA_VERSION
