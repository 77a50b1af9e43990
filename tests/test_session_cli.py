"""One-shot session commands through click's runner, on the real virtual camera, pipeline and journal."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from station.cli.main import cli
from station.store.workspace import Store
from workspace_factory import new_workspace, roster_rows

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages



@pytest.fixture
def ws(workspace: Path) -> Path:
    store = new_workspace(workspace)
    store.upsert_subjects(roster_rows(6), source_file="roster.csv")
    store.close()
    return workspace


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def capture() -> dict:
    result = run("capture", "--camera", "virtual", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def takes(ws: Path) -> list[tuple[int, int | None, str | None]]:
    with Store.open(ws) as store:
        return [(t.id, t.subject_id, t.decision) for t in store.takes()]


def code_of(ws: Path, subject_id: int | None) -> str | None:
    if subject_id is None:
        return None
    with Store.open(ws) as store:
        return store.subject(subject_id).code


def originals(ws: Path) -> list[Path]:
    return sorted(p for p in (ws / "originals").rglob("*") if p.is_file())


def test_capture_with_nobody_bound_refuses_and_stores_nothing(ws: Path) -> None:
    result = run("capture", "--camera", "virtual", "--json")
    assert result.exit_code == 1
    assert "no scan, no shot" in result.output
    assert takes(ws) == [] and originals(ws) == []


def test_capture_json_stores_the_original_bound_to_the_scanned_student(ws: Path) -> None:
    assert run("checkin", "2019000001").exit_code == 0
    shot = capture()
    assert {"take", "code", "file", "path", "sha256", "ok", "reasons", "shoot_no"} <= set(shot)
    assert shot["code"] == "2019000001" and shot["shoot_no"] == 1
    stored = ws / shot["file"]
    assert stored.is_file() and Path(shot["path"]) == stored.resolve()
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == shot["sha256"]
    assert isinstance(shot["ok"], bool) and isinstance(shot["reasons"], list)
    assert (ws / "preview" / "latest.jpg").is_file()
    with Store.open(ws) as store:
        take = store.take(shot["take"])
        assert take.verdict is not None and take.verdict.ok == shot["ok"]
        assert store.subject(take.subject_id).code == "2019000001"


def test_accept_closes_the_binding_so_the_next_capture_needs_a_scan(ws: Path) -> None:
    run("checkin", "2019000001")
    shot = capture()
    result = run("accept")
    assert result.exit_code == 0, result.output
    assert f"take {shot['take']} accepted" in result.output
    again = run("capture", "--camera", "virtual")
    assert again.exit_code == 1 and "no scan, no shot" in again.output
    assert len(takes(ws)) == 1


def test_reject_keeps_the_binding_then_reshoot_and_accept(ws: Path) -> None:
    run("checkin", "2019000002")
    first = capture()
    assert run("reject", "--reason", "eyes closed").exit_code == 0
    second = capture()
    assert second["code"] == "2019000002" and second["take"] != first["take"]
    assert run("accept").exit_code == 0
    assert [(t, code_of(ws, s), d) for t, s, d in takes(ws)] == [
        (first["take"], "2019000002", "reject"), (second["take"], "2019000002", "accept")]
    review = json.loads(run("review", "--json").output)
    assert all(r["code"] != "2019000002" for r in review["students"])


def test_reject_needs_a_reason_and_accept_with_nobody_bound_needs_a_take(ws: Path) -> None:
    assert run("reject").exit_code == 2                    # click: --reason is required
    result = run("accept")
    assert result.exit_code == 1 and "nobody is bound" in result.output


def test_rebind_moves_exactly_one_take_with_operator_time_and_reason(ws: Path) -> None:
    run("checkin", "2019000003")
    first, second = capture(), capture()
    result = run("rebind", str(first["take"]), "2019000004", "--reason", "wrong student in chair",
                 "--operator", "王老师")
    assert result.exit_code == 0, result.output
    moved = {t: code_of(ws, s) for t, s, _ in takes(ws)}
    assert moved == {first["take"]: "2019000004", second["take"]: "2019000003"}
    with Store.open(ws) as store:
        rows = store.conn.execute("SELECT * FROM events WHERE kind = 'rebind'").fetchall()
        assert len(rows) == 1
        data = json.loads(rows[0]["data"])
        assert rows[0]["take_id"] == first["take"] and rows[0]["operator"] == "王老师" and rows[0]["ts"]
        assert data["reason"] == "wrong student in chair"
        assert data["from_subject"] == store.find_subject("code", "2019000003").id
        # the binding is untouched: the student in the chair is still the one scanned
        assert store.bound_subject().code == "2019000003"


def test_void_a_take_and_not_twice(ws: Path) -> None:
    run("checkin", "2019000001")
    shot = capture()
    assert run("void", str(shot["take"]), "--reason", "test shot").exit_code == 0
    assert takes(ws) == [(shot["take"], takes(ws)[0][1], "void")]
    again = run("void", str(shot["take"]), "--reason", "again")
    assert again.exit_code == 1 and "already void" in again.output
    assert run("accept", str(shot["take"])).exit_code == 1


def test_review_lists_reshoot_work_by_college_and_class_and_unbound_takes(ws: Path) -> None:
    run("checkin", "2019000001")                 # unshot, then the binding moves (not shot yet)
    run("checkin", "2019000002")
    capture()
    run("reject", "--reason", "blurred")          # rejected
    run("checkin", "2019000003")
    capture()                                     # undecided
    run("checkin", "2019000004")
    run("skip", "--reason", "no card")            # skipped
    run("checkin", "2019000005")
    capture()
    run("accept")                                 # accepted: not listed
    with Store.open(ws) as store:                 # a camera-button frame with nobody bound
        from station.session.actions import Session
        from camera.frame import Frame
        from datetime import datetime, timezone
        from pipeline.synthetic import portrait
        data = portrait(99).jpeg                  # a new frame (the same bytes again would be a re-offer: skipped)
        Session(store).ingest([Frame(data, "DSC_0001.JPG", datetime.now(timezone.utc), "m", "s", "jpeg", "button")])
    review = json.loads(run("review", "--json").output)
    status = {r["code"]: r["status"] for r in review["students"]}
    assert status == {"2019000001": "unshot", "2019000002": "rejected", "2019000003": "undecided",
                      "2019000004": "skipped"}
    rejected = next(r for r in review["students"] if r["code"] == "2019000002")
    assert rejected["reason"] == "blurred" and rejected["college"] and rejected["class"]
    keys = [(r["college"], r["class"]) for r in review["students"]]
    assert keys == sorted(keys)
    assert len(review["unbound_takes"]) == 1
    text = run("review").output
    assert "unbound takes" in text and "rejected" in text and "(blurred)" in text


def test_queue_mode_capture_takes_the_first_queued_and_numbers_follow_the_desk(ws: Path) -> None:
    for code in ("2019000004", "2019000002", "2019000006"):
        assert run("checkin", code, "--queue").exit_code == 0
    shot = capture()
    assert (shot["code"], shot["shoot_no"]) == ("2019000004", 1)
    run("accept")
    nxt = run("next")
    assert nxt.exit_code == 0 and "2019000002" in nxt.output and "No. 2" in nxt.output
    assert capture()["shoot_no"] == 2
    run("skip")
    assert "2019000006" in run("next").output
    assert run("next").exit_code == 1            # queue empty


def test_operator_from_env_is_journalled(ws: Path) -> None:
    run("checkin", "2019000001")
    result = CliRunner().invoke(cli, ["capture", "--camera", "virtual"], env={"STATION_OPERATOR": "李摄影"})
    assert result.exit_code == 0, result.output
    with Store.open(ws) as store:
        ops = {r[0] for r in store.conn.execute("SELECT operator FROM events WHERE kind IN ('capture', 'verdict')")}
    assert ops == {"李摄影"}


def test_skip_with_nobody_bound_is_refused(ws: Path) -> None:
    result = run("skip")
    assert result.exit_code == 1 and "nobody is bound" in result.output


@pytest.mark.parametrize("command", ["capture", "accept", "reject", "rebind", "void", "skip", "next", "review",
                                     "schedule", "college", "shoot"])
def test_every_session_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0 and len(cli.commands[command].help or "") > 20


def test_capture_from_a_hot_folder_waits_for_the_next_file(ws: Path, tmp_path: Path) -> None:
    import threading
    from station.session.camera_source import synthetic_frames
    folder = tmp_path / "tether"
    folder.mkdir()
    run("checkin", "2019000006")
    picture = next(synthetic_frames(3))
    writer = threading.Timer(1.0, lambda: (folder / "DSC_0042.JPG").write_bytes(picture))
    writer.start()
    try:
        result = run("capture", "--camera", f"hotfolder:{folder}", "--timeout", "60", "--json")
    finally:
        writer.join()
    assert result.exit_code == 0, result.output
    shot = json.loads(result.output)
    assert shot["code"] == "2019000006" and shot["source"] == "hotfolder"
    assert (ws / shot["file"]).read_bytes() == picture
    assert (folder / "DSC_0042.JPG").exists()             # the tethering program's file is left in place


def test_a_flawed_frame_fails_with_reasons_then_the_reshoot_passes(ws: Path, tmp_path: Path) -> None:
    from pipeline.synthetic import portrait
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "1.jpg").write_bytes(portrait(11, flaw="eyes_closed").jpeg)
    (frames / "2.jpg").write_bytes(portrait(11).jpeg)
    run("checkin", "2019000001")
    bad = json.loads(run("capture", "--camera", f"virtual:{frames}", "--json").output)
    assert bad["ok"] is False and "eyes_closed" in [r["code"] for r in bad["reasons"]]
    assert all(r["zh"] and r["en"] for r in bad["reasons"])
    assert run("reject", "--reason", bad["reasons"][0]["zh"]).exit_code == 0
    # a fresh camera opening starts virtual:DIR from its first frame again: use a folder with the good one
    (frames / "1.jpg").unlink()
    good = json.loads(run("capture", "--camera", f"virtual:{frames}", "--json").output)
    assert good["ok"] is True and good["reasons"] == [] and good["photo"]
    assert (ws / good["photo"]).is_file()
    text = run("review").output
    assert "2019000001" in text and "undecided" in text


def test_a_pipeline_failure_keeps_the_take_and_never_leaves_a_stale_preview(ws: Path) -> None:
    from station.session.actions import Session
    from camera.frame import Frame
    from datetime import datetime, timezone

    def broken(data: bytes):
        raise RuntimeError("model file missing")
    run("checkin", "2019000001")
    capture()                                                  # a real preview of the first student
    first_preview = (ws / "preview" / "latest.jpg").read_bytes()
    run("accept")
    run("checkin", "2019000002")
    with Store.open(ws) as store:
        frame = Frame(b"not a jpeg at all", "DSC_9.JPG", datetime.now(timezone.utc), "m", "s", "jpeg", "button")
        outcome = Session(store, processor=broken).ingest([frame])[0]
        assert outcome.ok is False and outcome.reasons[0].code == "pipeline_error"
        assert store.take(outcome.take.id).subject_id == store.find_subject("code", "2019000002").id
    latest = ws / "preview" / "latest.jpg"
    assert not latest.exists() or latest.read_bytes() != first_preview


def test_shoot_without_a_terminal_says_what_to_use_instead(ws: Path) -> None:
    result = CliRunner().invoke(cli, ["shoot", "--camera", "virtual"], input="")
    assert result.exit_code == 1 and "needs a terminal" in result.output
