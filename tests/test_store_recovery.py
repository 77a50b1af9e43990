"""A crash's leftovers never block the next capture: orphan originals are adopted (or moved aside when the
journal already has their bytes), temp files are removed, and `status` says what happened.

The leftovers are made the way a killed capture makes them: a durable file under the exact name the next
capture of that student takes (tests/test_faults.py produces the same with a real SIGKILL).
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from config.i18n import _
from station.cli.main import cli
from station.store.durable import write_new_file
from station.store.models import CapturedFile
from station.store.workspace import Store
from workspace_factory import roster_workspace

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages


@pytest.fixture
def ws(workspace: Path) -> Path:
    return roster_workspace(workspace)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def next_name(ws: Path, code: str, seq: int = 1) -> Path:
    return ws / "originals" / datetime.now().strftime("%Y%m%d") / f"S1-{seq:06d}_{code}.jpg"


def test_an_orphan_under_the_next_name_does_not_block_the_next_capture(ws: Path) -> None:
    assert run("checkin", "2019000001").exit_code == 0
    orphan = next_name(ws, "2019000001")
    write_new_file(orphan, b"written by a capture killed before its journal commit")
    (orphan.parent / f".{orphan.name}.dead.tmp").write_bytes(b"half")

    status = run("status", "--json")
    as_json = json.loads(status.stdout)
    assert as_json["orphans"] == [orphan.relative_to(ws).as_posix()]
    assert len(as_json["temp_files"]) == 1

    result = run("capture", "--camera", "virtual", "--json")
    assert result.exit_code == 0, result.output
    shot = json.loads(result.stdout)
    assert shot["code"] == "2019000001" and (ws / shot["file"]).is_file()
    assert orphan.read_bytes() == b"written by a capture killed before its journal commit"   # kept, in place
    assert not list(orphan.parent.glob(".*.tmp"))

    with Store.open(ws) as store:
        recovered = [t for t in store.unbound_takes() if t.source == "recovered"]
        assert [t.primary.file for t in recovered] == [orphan.relative_to(ws).as_posix()]
        assert store.take(shot["take"]).subject_id is not None
        assert store.reconcile().orphans == ()
        assert store.count_events("recover") == 1
    status = run("status")
    assert _("warning: take {take} was recovered after a crash ({file}): rebind or void it",
             take=recovered[0].id, file=recovered[0].primary.file) in status.stderr
    # the recovered take is an ordinary unbound take: rebind it to its student, accept it
    assert run("rebind", str(recovered[0].id), "2019000002", "--reason", "crash").exit_code == 0


def test_an_orphan_that_duplicates_a_journalled_original_is_moved_aside(ws: Path) -> None:
    with Store.open(ws) as store:
        subject = store.find_subject("code", "2019000001")
        first = store.record_capture([CapturedFile(b"same bytes")], subject_id=subject.id, source="trigger")
    copy = next_name(ws, "2019000001", seq=2)
    write_new_file(copy, b"same bytes")          # the frame re-offered after a crash, stored before the kill
    with Store.open(ws) as store:
        done = store.recover()
        assert done.adopted == () and done.quarantined == (copy.relative_to(ws).as_posix(),)
        second = store.record_capture([CapturedFile(b"next")], subject_id=subject.id, source="trigger")
        assert second.primary.file == copy.relative_to(ws).as_posix()
        assert (ws / first.primary.file).read_bytes() == b"same bytes"
    moved = ws / "quarantine" / copy.relative_to(ws)
    assert moved.read_bytes() == b"same bytes"
    as_json = json.loads(run("status", "--json").stdout)
    assert as_json["quarantined"] == [moved.relative_to(ws).as_posix()]
    assert as_json["orphans"] == [] and as_json["recovered_takes"] == []


def test_a_jpeg_and_raw_orphan_pair_becomes_one_take(ws: Path) -> None:
    jpeg = next_name(ws, "UNBOUND")
    write_new_file(jpeg, b"jpeg part")
    write_new_file(jpeg.with_name(jpeg.stem + "-2.cr3"), b"raw part")
    with Store.open(ws) as store:
        done = store.recover()
        take = store.take(done.adopted[0])
        assert [(f.kind, (ws / f.file).read_bytes()) for f in take.files] == [("jpeg", b"jpeg part"),
                                                                              ("raw", b"raw part")]
        assert store.next_seq() == 2
        assert store.recover().nothing    # a second pass finds nothing left


def test_a_failed_capture_leaves_no_orphan(ws: Path) -> None:
    """The mirror disk fails after the original was written: the call fails and removes what it wrote."""
    mirror = ws.parent / "mirror"
    mirror.write_text("a file where the mirror folder should be")
    with Store.open(ws) as store:
        import dataclasses
        store.settings = dataclasses.replace(store.settings,
                                             storage=dataclasses.replace(store.settings.storage,
                                                                         mirror=str(mirror)))
        subject = store.find_subject("code", "2019000001")
        with pytest.raises(Exception, match="mirror copy failed"):
            store.record_capture([CapturedFile(b"x")], subject_id=subject.id, source="trigger")
        assert store.reconcile().orphans == () and store.take_count() == 0


def test_a_render_left_by_a_crash_does_not_block_the_next_verdict(ws: Path) -> None:
    with Store.open(ws) as store:
        subject = store.find_subject("code", "2019000001")
        take = store.record_capture([CapturedFile(b"x")], subject_id=subject.id, source="trigger")
        write_new_file(ws / "renders" / "S1-000001-v1.jpg", b"render of a killed verdict")
        judged = store.record_verdict(take.id, {"ok": True}, b"finished")
        assert (ws / judged.verdict.photo).read_bytes() == b"finished"
        assert (ws / "renders" / "S1-000001-v1.jpg").read_bytes() == b"render of a killed verdict"
