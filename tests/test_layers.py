"""The layer rule of ARCHITECTURE.md, read from the source with ast: who may import whom, where the device SDKs
live, and where SQL may be written. A new module that breaks a rule fails here, naming the file and the import."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "pipeline", "camera", "station")

#: lower number = lower layer; a module may import only its own package and packages of a LOWER rank
#: (packages of equal rank are independent of each other: the session never imports the outputs, nor back)
RANK = {
    "config": 0,
    "pipeline": 1,
    "camera": 2,
    "station": 3,                 # station/__init__.py only
    "station.core": 3,
    "station.store": 4,
    "station.identity": 5,
    "station.faces": 5,           # is this the right person: the face book's questions (beside identity)
    "station.session": 6,
    "station.outputs": 6,
    "station.hub": 6.5,           # several rooms: replication through the hub (reads store/outputs; front ends use it)
    "station.tui": 7,
    "station.console": 7,
    "station.demo": 8,
    "station.cli": 9,
}
#: third-party modules that talk to devices or the OS's file events: only camera/ may import them
DEVICE_SDKS = ("gphoto2", "watchdog", "serial", "evdev")
#: the journal's writer, read model and schema, and the face book (its own owner-only database, kept apart
#: from the journal so `purge-faces` can delete it whole): the only modules that may hold SQL
SQL_MODULES = {"station/store/queries.py", "station/store/writer.py", "station/store/journal.py",
               "station/store/faces.py", "station/store/replica.py"}
SQL_TEXT = re.compile(r"^\s*(SELECT\s+\S|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|VIEW)|"
                      r"DROP\s+(TABLE|INDEX|VIEW)|ALTER\s+TABLE|BEGIN\b|PRAGMA\s)")
SQL_CALLS = {"execute", "executemany", "executescript"}


def layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return None
    if parts[0] == "station" and len(parts) > 1 and f"station.{parts[1]}" in RANK:
        return f"station.{parts[1]}"
    return parts[0]


def sources() -> list[tuple[str, str, ast.Module]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            module = rel[:-3].replace("/", ".").removesuffix(".__init__")
            found.append((rel, module, ast.parse(path.read_text("utf-8"), rel)))
    return found


def imports(tree: ast.Module, module: str) -> list[tuple[int, str]]:
    """Every imported module name, relative imports resolved."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[:-node.level] if not module.endswith("__init__") else module.split(".")
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def test_no_layer_imports_a_higher_one() -> None:
    problems = []
    for rel, module, tree in sources():
        own = layer(module)
        assert own in RANK, f"{rel}: package {own!r} has no place in the layer table (ARCHITECTURE.md)"
        for line, name in imports(tree, module):
            target = layer(name)
            if target is None or target == own or module == "station" or target == "station":
                continue
            if target not in RANK:
                problems.append(f"{rel}:{line} imports {name}: {target} is not in the layer table")
            elif RANK[target] >= RANK[own]:
                problems.append(f"{rel}:{line} ({own}, layer {RANK[own]}) imports {name} "
                                f"({target}, layer {RANK[target]})")
    assert not problems, "\n".join(problems)


def test_pipeline_and_camera_never_import_the_station() -> None:
    bad = [f"{rel}:{line} imports {name}" for rel, module, tree in sources()
           if layer(module) in ("pipeline", "camera", "config")
           for line, name in imports(tree, module) if name.split(".")[0] == "station"]
    assert not bad, "\n".join(bad)


def test_device_sdks_only_in_camera() -> None:
    bad = [f"{rel}:{line} imports {name}" for rel, module, tree in sources() if layer(module) != "camera"
           for line, name in imports(tree, module) if name.split(".")[0] in DEVICE_SDKS]
    assert not bad, "\n".join(bad)


def test_no_sql_outside_the_journal_writer_and_read_model() -> None:
    bad = []
    for rel, _module, tree in sources():
        if rel in SQL_MODULES:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.match(node.value):
                bad.append(f"{rel}:{node.lineno} SQL text {node.value.strip()[:40]!r}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
                bad.append(f"{rel}:{node.lineno} calls .{node.func.attr}()")
    assert not bad, "\n".join(bad)


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    """The checks above are not vacuous: fed a forbidden module, each one finds it."""
    tree = ast.parse("from station.cli.main import cli\nimport gphoto2\nconn.execute('SELECT 1')\n")
    found = imports(tree, "station.store.bad")
    assert ("station.cli" == layer(found[0][1])) and RANK[layer(found[0][1])] > RANK["station.store"]
    assert found[1][1] in DEVICE_SDKS
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") in SQL_CALLS]
    texts = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and SQL_TEXT.match(str(n.value))]
    assert calls and texts


#: who may write the events table: the journal (append_event: the one INSERT), the writer (its only caller), and
#: the replica (other stations' events copied verbatim into their read-only copy, station/store/replica.py)
EVENT_WRITERS = {"station/store/journal.py", "station/store/writer.py", "station/store/replica.py"}
EVENTS_SQL = re.compile(r"\b(INSERT(\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+events\b", re.I)
#: the wall clock read directly (a call or a reference): datetime.now(), time.time... `time.monotonic` (timeouts,
#: never shown) is not the wall clock
WALL_CLOCK = {("datetime", "now"), ("datetime", "today"), ("datetime", "utcnow"), ("date", "today"),
              ("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime"), ("time", "ctime"),
              ("time", "strftime")}
#: the modules that read the wall clock today (ARCHITECTURE.md, "Time"): the station's clock itself, and the
#: readers not yet moved onto it. A module not listed that reads it fails here; the console must never.
WALL_CLOCK_READERS = {"station/store/clock.py", "camera/gphoto_backend.py", "station/cli/commands/export.py",
                      "station/hub/link.py", "station/hub/page.py", "station/hub/server.py", "station/hub/token.py",
                      "station/session/camera_source.py", "station/session/schedule.py", "station/store/replica.py"}


def event_writes(tree: ast.Module) -> list[tuple[int, str]]:
    """Where a module writes the events table: SQL text naming it, or an insert helper handed the name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and EVENTS_SQL.search(node.value):
            found.append((node.lineno, node.value.strip()[:40]))
        if isinstance(node, ast.Call):
            names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if "events" in names and any(re.match(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", n, re.I) for n in names):
                found.append((node.lineno, " ".join(names)))
            func = node.func
            if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) == "append_event":
                found.append((node.lineno, "append_event()"))
    return found


def wall_clock_reads(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and (node.value.id, node.attr) in WALL_CLOCK:
            found.append((node.lineno, f"{node.value.id}.{node.attr}"))
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [(node.lineno, f"from time import {a.name}") for a in node.names if ("time", a.name) in WALL_CLOCK]
    return found


def test_only_the_journal_writer_and_the_replica_write_events() -> None:
    bad = [f"{rel}:{line} writes events: {what}" for rel, _module, tree in sources() if rel not in EVENT_WRITERS
           for line, what in event_writes(tree)]
    assert not bad, "\n".join(bad)


def test_the_console_reads_no_wall_clock() -> None:
    """The console shows the station's clock (ConsoleState.clock, the read model's): a page never disagrees with
    the journal about what time or day it is, and tests move its time without sleeping."""
    bad = [f"{rel}:{line} reads the wall clock: {what}" for rel, module, tree in sources()
           if layer(module) == "station.console" for line, what in wall_clock_reads(tree)]
    assert not bad, "\n".join(bad)


def test_only_the_listed_modules_read_the_wall_clock() -> None:
    bad = [f"{rel}:{line} reads the wall clock: {what} (use the station's Clock, station/store/clock.py)"
           for rel, _module, tree in sources() if rel not in WALL_CLOCK_READERS for line, what in wall_clock_reads(tree)]
    assert not bad, "\n".join(bad)


def test_the_event_and_clock_rules_catch_what_they_forbid() -> None:
    tree = ast.parse("import time\nfrom datetime import datetime\nstamp = datetime.now()\nt = time.time()\n"
                     "conn.execute('INSERT INTO events (kind) VALUES (1)')\nself._insert('INSERT OR REPLACE', 'events', e)\n"
                     "journal.append_event(conn, kind=k)\nelapsed = time.monotonic()\n")
    assert [what for _line, what in wall_clock_reads(tree)] == ["datetime.now", "time.time"]
    assert len(event_writes(tree)) == 3
def test_no_class_in_the_station_has_more_than_30_methods() -> None:
    """Issue 21: a class past 30 methods is split by topic (station.session.topics, the read model's topics).
    Counted as `python tools/code_shape.py` counts (methods defined in the class body)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("code_shape", ROOT / "tools" / "code_shape.py")
    assert spec is not None and spec.loader is not None
    code_shape = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(code_shape)
    classes, _ = code_shape.shape(ROOT)
    assert any(name.startswith("station/session/controller.py:") for name, _n in classes)   # it does count them
    over = {name: n for name, n in classes if name.startswith("station/") and n > 30}
    assert not over, f"split these by topic: {over}"

