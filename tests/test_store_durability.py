"""The store's promise: nothing acknowledged is ever lost, nothing unexplained is ever deleted.

A real child process writes originals through Store.record_capture and prints each take only after the
call returned; the test kills it with SIGKILL mid-run and then checks every acknowledged take on disk and in
the journal. No timing is asserted: the kill comes after a number of acknowledgements, wherever the writer is.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from config.settings import Settings
from station.store.models import CapturedFile
from station.store.workspace import Store, init_workspace
from workspace_factory import run_cli

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages

ROOT = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent("""
    import hashlib, sys
    from pathlib import Path
    from station.store.models import CapturedFile
    from station.store.workspace import Store

    store = Store.open(Path(sys.argv[1]))
    subject = store.scanned_subject("CJM-DURABLE", college="化学化工学院")
    n = 0
    while True:
        n += 1
        data = hashlib.sha256(str(n).encode()).digest() * 4096   # 128 KiB, distinct per take
        take = store.record_capture([CapturedFile(data, "jpeg", f"IMG_{n:04d}.JPG")],
                                    subject_id=subject.id, source="trigger")
        # acknowledged: record_capture has returned
        print(take.id, take.primary.file, hashlib.sha256(data).hexdigest(), flush=True)
""")


run = run_cli   # `station -w WS ...`, shared with the other CLI tests


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    assert run(workspace, "init").exit_code == 0
    return workspace


def test_sigkill_mid_capture_loses_no_acknowledged_original(ws: Path, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(script), str(ws)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=ROOT, env=env, text=True)
    acked: list[tuple[int, str, str]] = []
    try:
        assert child.stdout is not None
        while len(acked) < 12:
            line = child.stdout.readline()
            if not line:
                pytest.fail(f"writer died early: {child.stderr.read() if child.stderr else ''}")
            take_id, rel, digest = line.split()
            acked.append((int(take_id), rel, digest))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    for line in rest.splitlines():            # acknowledged before the kill, still in the pipe
        if line.strip():
            take_id, rel, digest = line.split()
            acked.append((int(take_id), rel, digest))

    with Store.open(ws) as store:
        for take_id, rel, digest in acked:
            take = store.take(take_id)
            assert take.primary.file == rel and take.primary.sha256 == digest
            assert hashlib.sha256((ws / rel).read_bytes()).hexdigest() == digest
        report = store.reconcile(deep=True)
        assert report.missing == () and report.damaged == ()
        journalled = {r[0] for r in store.conn.execute("SELECT file FROM originals")}
        assert not set(report.orphans) & journalled
        assert {rel for _, rel, _ in acked} <= journalled
        # whatever the kill interrupted (a temp file, or a file not yet journalled) is still on disk
        for rel in (*report.orphans, *report.temp_files):
            assert (ws / rel).exists()


def test_orphan_file_is_reported_by_status_and_never_deleted(ws: Path) -> None:
    with Store.open(ws) as store:
        subject = store.scanned_subject("CJ1", college=None)
        store.record_capture([CapturedFile(b"journalled")], subject_id=subject.id, source="trigger")
    stray = ws / "originals" / "20260101" / "S1-000099_CJ9.jpg"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"written by a crashed run, never journalled")

    result = run(ws, "status")
    assert result.exit_code == 0
    assert "warning: orphan file (not journalled, kept): originals/20260101/S1-000099_CJ9.jpg" in result.stderr
    as_json = json.loads(run(ws, "status", "--json").stdout)
    assert as_json["orphans"] == ["originals/20260101/S1-000099_CJ9.jpg"]
    assert as_json["missing"] == [] and as_json["damaged"] == []
    assert stray.read_bytes() == b"written by a crashed run, never journalled"
    with Store.open(ws) as store:
        assert store.reconcile().orphans == ("originals/20260101/S1-000099_CJ9.jpg",)


def test_missing_original_is_reported(ws: Path) -> None:
    with Store.open(ws) as store:
        subject = store.scanned_subject("CJ1", college=None)
        take = store.record_capture([CapturedFile(b"soon gone")], subject_id=subject.id, source="trigger")
    (ws / take.primary.file).unlink()
    result = run(ws, "status")
    assert f"error: journalled original missing: {take.primary.file}" in result.stderr


def test_original_is_never_overwritten(ws: Path) -> None:
    with Store.open(ws) as store:
        subject = store.scanned_subject("CJ1", college=None)
        first = store.record_capture([CapturedFile(b"first")], subject_id=subject.id, source="trigger")
        second = store.record_capture([CapturedFile(b"second")], subject_id=subject.id, source="trigger")
    assert first.primary.file != second.primary.file
    assert (ws / first.primary.file).read_bytes() == b"first"


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}


def test_workspace_files_and_folders_are_owner_only(tmp_path: Path) -> None:
    """Through the library with a permissive umask: the store itself must not rely on the CLI's umask."""
    old = os.umask(0o022)
    try:
        ws = tmp_path / "deep" / "ws"
        store = init_workspace(ws, Settings())
        store.upsert_subjects([{"code": "2017001", "student_no": "2017001", "name": "张三"}],
                              source_file="r.csv")
        store.record_capture([CapturedFile(b"jpeg", "jpeg"), CapturedFile(b"raw", "raw", "IMG_1.CR3")],
                             subject_id=store.find_subject("code", "2017001").id, source="trigger")
        modes = _modes(ws)    # while open: the journal's -wal and -shm files exist now
        store.close()
    finally:
        os.umask(old)
    assert "journal.sqlite3-wal" in modes
    assert len(modes) > 8
    for name, mode in modes.items():
        path = ws / name if name != "." else ws
        expected = 0o700 if path.is_dir() else 0o600
        assert mode == expected, f"{name}: {oct(mode)}"
    assert stat.S_IMODE((tmp_path / "deep").stat().st_mode) == 0o700
