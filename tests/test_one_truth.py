"""One truth for who is in each photo: a day with a reject, rebinds (one of an accepted take), a void, an
override and a re-shoot, driven through the real CLI on the virtual camera; then every output — export folders
and manifests, missing.csv, the report in every format, the 拍摄号 sign-off sheet, prints, contact sheets and the
re-shoot list — is compared with what the journal says about each take."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from station.cli.main import cli
from station.outputs.contact_sheet import thumbnail_data_uri
from station.store.workspace import Store
from workspace_factory import new_workspace, roster_rows

pytestmark = pytest.mark.usefixtures("english")

ROSTER = roster_rows(8)
NAME = {r["student_no"]: r["name"] for r in ROSTER}
COLLEGE = {r["student_no"]: r["college"] for r in ROSTER}


def no(i: int) -> str:
    return ROSTER[i - 1]["student_no"]


def run(ws: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["-w", str(ws), *args], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def capture(ws: Path, camera: str = "virtual") -> int:
    return int(json.loads(run(ws, "capture", "--camera", camera, "--json"))["take"])


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from pipeline.synthetic import portrait
    root = tmp_path_factory.mktemp("truth")
    ws = root / "ws"
    store = new_workspace(ws)
    store.upsert_subjects(ROSTER, source_file="roster.xlsx")
    store.close()
    flawed = root / "flawed"
    flawed.mkdir()
    (flawed / "1.jpg").write_bytes(portrait(5, flaw="eyes_closed").jpeg)
    seq: dict[str, int] = {}
    # 1: rejected, re-shot, accepted
    run(ws, "checkin", no(1))
    first = capture(ws)
    run(ws, "reject", str(first), "--reason", "eyes closed")
    seq["1"] = capture(ws)
    run(ws, "accept")
    # 2 scanned, 3 sat: the take is rebound to 3 and accepted; 2 leaves without a photo
    run(ws, "checkin", no(2))
    seq["3"] = capture(ws)
    run(ws, "rebind", str(seq["3"]), no(3), "--reason", "wrong student in the chair")
    run(ws, "accept", str(seq["3"]))
    run(ws, "skip", "--reason", "left")
    # 4: a void frame, then the good one
    run(ws, "checkin", no(4))
    run(ws, "void", str(capture(ws)), "--reason", "test frame")
    seq["4"] = capture(ws)
    run(ws, "accept")
    # 5: a refused frame accepted with an override
    run(ws, "checkin", no(5))
    seq["5"] = capture(ws, f"virtual:{flawed}")
    run(ws, "accept", "--override", "teacher checked the eyes")
    # 6: rejected and skipped, comes back later (same 拍摄号), accepted
    run(ws, "checkin", no(6))
    run(ws, "reject", str(capture(ws)), "--reason", "blurred")
    run(ws, "skip", "--reason", "come back later")
    # 7 scanned and skipped (no photo under its number)
    run(ws, "checkin", no(7))
    run(ws, "skip", "--reason", "glasses")
    # 8 scanned, photographed and accepted, but the photo is 7's: the accepted take moves to 7
    run(ws, "checkin", no(8))
    seq["7"] = capture(ws)
    run(ws, "accept")
    run(ws, "rebind", str(seq["7"]), no(7), "--reason", "the photo shows 7")
    run(ws, "checkin", no(6))
    seq["6"] = capture(ws)
    run(ws, "accept")
    out = root / "out"
    run(ws, "export", str(out))
    return {"ws": ws, "out": out, "takes": {no(int(k)): v for k, v in seq.items()}, "root": root}


def journal_truth(ws: Path) -> dict[str, tuple[int, str]]:
    """student no -> (take id, finished photo sha256) of every accepted take, as the journal says."""
    with Store.open(ws) as store:
        return {store.subject(t.subject_id).student_no: (t.take_id, t.photo_sha256)
                for t in store.accepted_takes()}


def render_of(ws: Path, take_id: int) -> Path:
    with Store.open(ws) as store:
        return ws / store.take(take_id).verdict.photo


def test_the_journal_holds_the_day_as_driven(day: dict) -> None:
    truth = journal_truth(day["ws"])
    assert {k: v[0] for k, v in truth.items()} == day["takes"]


def test_export_folders_and_manifests_name_the_person_in_each_photo(day: dict) -> None:
    truth = journal_truth(day["ws"])
    seen = {}
    for manifest in day["out"].glob("*/manifest.csv"):
        for row in csv.DictReader(io.StringIO(manifest.read_text("utf-8-sig"))):
            photo = manifest.parent / row["文件名"]
            assert hashlib.sha256(photo.read_bytes()).hexdigest() == row["SHA256"]
            assert row["文件名"] == f"{row['学号']}.jpg" and manifest.parent.name == COLLEGE[row["学号"]]
            assert row["姓名"] == NAME[row["学号"]]
            seen[row["学号"]] = (row["SHA256"], row["拍摄号"], row.get("放行理由 override", ""))
    assert {k: v[0] for k, v in seen.items()} == {k: v[1] for k, v in truth.items()}
    # the 拍摄号 is the number the photo was shot under: 3 sat under 2's number, 7 under 8's
    assert {k: v[1] for k, v in seen.items()} == {no(1): "1", no(3): "2", no(4): "3", no(5): "4",
                                                  no(6): "5", no(7): "7"}
    assert seen[no(5)][2] == "teacher checked the eyes"
    missing = list(csv.reader(io.StringIO((day["out"] / "missing.csv").read_text("utf-8-sig"))))
    assert sorted((r[2], r[5], r[6]) for r in missing[1:]) == [(no(2), "未拍摄", "已签到未拍摄"),
                                                                (no(8), "未拍摄", "已签到未拍摄")]


def test_report_in_every_format_names_the_same_people(day: dict) -> None:
    ws, truth = day["ws"], journal_truth(day["ws"])
    data = json.loads(run(ws, "report", "--format", "json"))
    accepted = {s["student_no"]: s for s in data["students"] if s["status"] == "accepted"}
    assert set(accepted) == set(truth)
    for student_no, s in accepted.items():
        assert hashlib.sha256(Path(s["photo"]).read_bytes()).hexdigest() == truth[student_no][1]
    assert {s["student_no"]: s["status"] for s in data["students"] if s["status"] != "accepted"} == {
        no(2): "unshot", no(8): "unshot"}
    takes = {s: str(t) for s, t in day["takes"].items()}
    text = run(ws, "report")
    csv_text = run(ws, "report", "--format", "csv")
    html_text = run(ws, "report", "--format", "html")
    for student_no in truth:
        line = f"{student_no},{NAME[student_no]},{COLLEGE[student_no]}"
        assert any(l.startswith(line) and l.split(",")[6] == takes[student_no]
                   for l in csv_text.splitlines()), student_no
        assert re.search(rf"{student_no}\s+{NAME[student_no]}\s+{COLLEGE[student_no]}.*\s{takes[student_no]}\b",
                         text), student_no
        assert f"<td>{student_no}</td><td>{NAME[student_no]}</td>" in html_text
    xlsx = day["root"] / "report.xlsx"
    run(ws, "report", "--format", "xlsx", "--out", str(xlsx))
    sheet = openpyxl.load_workbook(xlsx).worksheets[-1]          # the accepted photos
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert {r[0]: str(r[6]) for r in rows} == {s: takes[s] for s in truth}


def test_signoff_sheet_has_the_person_who_sat_beside_each_number(day: dict) -> None:
    data = json.loads(run(day["ws"], "report", "--format", "json"))
    lines = [(r["shoot_no"], r["student_no"], r["status"], r["rebound_from"], tuple(r["rebound_to"]))
             for r in data["signoff"]]
    who = lambda i: f"{no(i)} {NAME[no(i)]}"  # noqa: E731
    assert lines == [
        (1, no(1), "accepted", None, ()),
        (2, no(2), "scanned", None, (who(3),)),
        (2, no(3), "accepted", who(2), ()),
        (3, no(4), "accepted", None, ()),
        (4, no(5), "accepted", None, ()),
        (5, no(6), "accepted", None, ()),
        (6, no(7), "scanned", None, ()),
        (7, no(8), "scanned", None, (who(7),)),
        (7, no(7), "accepted", who(8), ()),
    ]
    text = run(day["ws"], "report")
    assert re.search(rf"\b2\s+{no(2)}\s+{NAME[no(2)]}.*scanned, not photographed; photo rebound to {who(3)}", text)
    assert re.search(rf"\b2\s+{no(3)}\s+{NAME[no(3)]}.*accepted; rebound from {who(2)}", text)


def test_prints_and_contact_sheets_show_each_persons_own_photo(day: dict) -> None:
    ws, truth = day["ws"], journal_truth(day["ws"])
    prints = day["root"] / "prints"
    run(ws, "prints", str(prints))
    assert sorted(p.stem for p in prints.rglob("*.jpg")) == sorted(truth)
    html_text = run(ws, "report", "--format", "html")
    figures = re.findall(r'<figure><img src="([^"]+)"[^>]*><figcaption>([^<]*)<br>(\d+)', html_text)
    assert {student_no: uri for uri, _name, student_no in figures} == {
        s: thumbnail_data_uri(render_of(ws, take)) for s, (take, _sha) in truth.items()}
    assert all(name == NAME[s] for _uri, name, s in figures)


def test_reshoot_list_has_exactly_the_people_without_a_photo(day: dict) -> None:
    data = json.loads(run(day["ws"], "review", "--json"))
    assert {r["student_no"]: r["status"] for r in data["students"]} == {no(2): "skipped", no(8): "unshot"}
    assert data["unbound_takes"] == []
    assert [o["take"] for o in data["overrides"]] == [day["takes"][no(5)]]


def test_a_frame_shot_with_nobody_bound_goes_on_its_owners_line(tmp_path: Path) -> None:
    """The camera's own button with nobody bound, then the frame rebound to a student: on the sign-off sheet
    under that student's number of the day (or a line without a number when they never checked in)."""
    import workspace_factory as wf
    ws = tmp_path / "ws"
    store = new_workspace(ws)
    store.upsert_subjects(ROSTER[:3], source_file="roster.xlsx")
    photo = wf.finished_photo(0)
    first = store.find_subject("code", no(1))
    store.check_in(first, scanned=no(1), via="student_no")
    store.skip(reason="stepped out")
    for owner in (no(1), no(2)):
        take = store.record_capture([wf.CapturedFile(data=photo.jpeg)], subject_id=None, source="button")
        store.record_verdict(take.id, photo.verdict, photo.jpeg)
        store.rebind(take.id, store.find_subject("code", owner), reason="camera button")
        store.accept(take.id)
    store.close()
    data = json.loads(run(ws, "report", "--format", "json"))
    assert [(r["shoot_no"], r["student_no"], r["status"]) for r in data["signoff"]] == [
        (1, no(1), "accepted"), (None, no(2), "accepted")]
