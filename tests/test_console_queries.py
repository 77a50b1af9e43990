"""Read-model queries the console's pages ask: the rebind search and the review thumbnails."""
from __future__ import annotations

from pathlib import Path

from tests.workspace_factory import finished_photo, id_number, new_workspace, roster_rows, shoot


def _store(tmp_path: Path):
    store = new_workspace(tmp_path / "ws")
    rows = roster_rows(12)
    rows[3]["name"] = "王小明"
    rows[4]["name"] = "张小明"
    store.upsert_subjects(rows, source_file="roster.xlsx")
    return store, rows


def test_search_finds_by_part_of_a_name_or_student_number(tmp_path: Path) -> None:
    store, rows = _store(tmp_path)
    assert {s.name for s in store.search_subjects("小明")} == {"王小明", "张小明"}
    assert [s.student_no for s in store.search_subjects(rows[7]["student_no"][-4:])] == [rows[7]["student_no"]]
    assert store.search_subjects("   ") == []
    assert len(store.search_subjects("同学", limit=3)) == 3


def test_search_never_matches_part_of_an_id_number(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    assert store.search_subjects(id_number(5)[:10]) == []          # a prefix of someone's ID number
    assert store.search_subjects("%") == [] and store.search_subjects("_") == []   # no LIKE wildcards


def test_latest_take_ids_skip_void_takes(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    subject = store.subjects()[0]
    photo = finished_photo()
    first = shoot(store, subject, photo, decision="reject")
    second = shoot(store, subject, photo, decision=None)
    assert store.latest_take_ids()[subject.id] == second.id
    store.void(second.id, reason="wrong frame")
    assert store.latest_take_ids()[subject.id] == first.id      # the void take is never the thumbnail
    assert store.subjects()[1].id not in store.latest_take_ids()
