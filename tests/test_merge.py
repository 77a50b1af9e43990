"""One person across stations: the export, the report, print sheets and contact sheets agree.

A roster student is rejected at station A; at station B (no roster there) the same student's ID number is
scanned and the take accepted. Real workspaces, real photos from the pipeline, the real CLI.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import workspace_factory as wf
from workspace_factory import run_cli

COLLEGE = "外国语学院 (国际)"          # brackets and a space: the export's folder rule keeps them


@pytest.fixture(scope="module")
def stations(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("merge")
    rows = wf.roster_rows(3, colleges=(COLLEGE,))
    person = rows[0]
    a = wf.new_workspace(root / "a", "A1")
    a.upsert_subjects(rows, source_file="roster.csv")
    wf.shoot(a, a.find_subject("code", person["code"]), wf.finished_photo(0), decision="reject")
    a.close()
    b = wf.new_workspace(root / "b", "B1")                 # registry-style station: no roster at all
    scanned = b.scanned_subject(person["id_number"], college="商学院", id_number=person["id_number"])
    wf.shoot(b, scanned, wf.finished_photo(1), decision="accept", college="商学院")
    b.close()
    return {"a": root / "a", "b": root / "b", "person": person, "rows": rows, "root": root}


def test_the_export_has_one_photo_under_the_roster_name_and_college(stations: dict) -> None:
    out = stations["root"] / "export"
    result = run_cli(stations["a"], "export", str(out), "--from", str(stations["b"]), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    person = stations["person"]
    assert data["exported"] == 1 and data["conflicts"] == []
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jpg")) == [f"{COLLEGE}/{person['code']}.jpg"]
    assert person["code"] not in {m["code"] for m in data["missing"]}
    assert (out / f"{COLLEGE}/{person['code']}.jpg").read_bytes() == wf.finished_photo(1).jpeg


def test_the_report_has_one_row_for_the_person_with_the_accepted_status(stations: dict) -> None:
    result = run_cli(stations["a"], "report", "--format", "json", "--from", str(stations["b"]))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    person = stations["person"]
    rows = [s for s in data["students"] if s["student_no"] == person["student_no"]
            or (s["id_number"] or "")[-4:] == person["id_number"][-4:]]
    assert len(rows) == 1
    [row] = rows
    assert (row["status"], row["college"], row["name"], row["station_id"]) == ("accepted", COLLEGE,
                                                                                person["name"], "B1")
    assert len(data["students"]) == len(stations["rows"])   # nobody counted twice, nobody lost
    assert data["totals"]["accepted"] == 1 and data["conflicts"] == []
    signed = [r for r in data["signoff"] if r["student_no"] == person["student_no"]]
    assert sorted(r["station_id"] for r in signed) == ["A1", "B1"]   # checked in at both: both lines, one person


def test_print_sheets_and_contact_sheets_show_the_person_once_in_the_export_folder_name(stations: dict) -> None:
    person = stations["person"]
    prints = stations["root"] / "prints"
    result = run_cli(stations["a"], "prints", str(prints), "--from", str(stations["b"]))
    assert result.exit_code == 0, result.output
    assert [p.relative_to(prints).as_posix() for p in prints.rglob("*.jpg")] == [f"{COLLEGE}/{person['code']}.jpg"]
    html = stations["root"] / "html"
    result = run_cli(stations["a"], "report", "--format", "html", "--out", str(html), "--from", str(stations["b"]))
    assert result.exit_code == 0, result.output
    sheets = sorted((html / "contact-sheets").glob("*.html"))
    assert f"{COLLEGE}_{person['class_name']}.html" in [p.name for p in sheets]
    text = "".join(p.read_text("utf-8") for p in sheets)
    assert text.count(f"{person['name']}<br>{person['student_no']}") == 1      # one figure, accepted
    assert f"{person['name']} ({person['student_no']}" not in text             # not also "without a photo"


def test_review_from_several_stations_drops_a_student_accepted_anywhere(stations: dict) -> None:
    alone = json.loads(run_cli(stations["a"], "review", "--json").stdout)
    person = stations["person"]
    assert [r["student_no"] for r in alone["students"] if r["status"] == "rejected"] == [person["student_no"]]
    merged = run_cli(stations["a"], "review", "--json", "--from", str(stations["b"]))
    assert merged.exit_code == 0, merged.output
    data = json.loads(merged.stdout)
    assert person["student_no"] not in {r["student_no"] for r in data["students"]}
    assert data["stations"] == ["A1", "B1"]


@pytest.fixture(scope="module")
def conflict(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One roster student accepted at two stations, with different photos."""
    root = tmp_path_factory.mktemp("prefer")
    rows = wf.roster_rows(2)
    for name, station, seed in (("a", "A1", 2), ("b", "B1", 3)):
        store = wf.new_workspace(root / name, station)
        store.upsert_subjects(rows, source_file="roster.csv")
        wf.shoot(store, store.find_subject("code", rows[0]["code"]), wf.finished_photo(seed), decision="accept")
        store.close()
    return {"a": root / "a", "b": root / "b", "root": root, "code": rows[0]["code"], "college": rows[0]["college"]}


@pytest.mark.parametrize("prefer, seed", [("station:A1", 2), ("station B1", 3), ("newest", 3)])
def test_prefer_a_station_settles_a_conflict_with_its_take(conflict: dict, prefer: str, seed: int) -> None:
    out = conflict["root"] / f"out-{seed}-{prefer.replace(' ', '_').replace(':', '_')}"
    result = run_cli(conflict["a"], "export", str(out), "--from", str(conflict["b"]), "--prefer", prefer, "--json")
    assert result.exit_code == 0, result.output
    photo = out / conflict["college"] / f"{conflict['code']}.jpg"
    assert photo.read_bytes() == wf.finished_photo(seed).jpeg


def test_prefer_a_station_without_a_take_leaves_the_conflict_and_a_bad_value_is_refused(conflict: dict) -> None:
    out = conflict["root"] / "out-none"
    refused = run_cli(conflict["a"], "export", str(out), "--from", str(conflict["b"]), "--prefer", "station:C9")
    assert refused.exit_code == 1 and not any(out.rglob("*.jpg"))
    bad = run_cli(conflict["a"], "export", str(out), "--from", str(conflict["b"]), "--prefer", "oldest")
    assert bad.exit_code == 2
