"""`station demo` on a fresh workspace: the scripted session runs on the real virtual camera and the real
pipeline, and its printed summary matches the journal and the export on disk."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from station.cli.main import cli


def test_demo_runs_and_its_summary_matches_the_journal(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--students", "10", "--workspace", str(ws), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    db = sqlite3.connect(ws / "journal.sqlite3")
    count = lambda kind: db.execute("SELECT COUNT(*) FROM events WHERE kind = ?", (kind,)).fetchone()[0]  # noqa: E731
    assert summary["students"] == 10 == db.execute("SELECT COUNT(*) FROM subjects").fetchone()[0]
    assert summary["takes"] == db.execute("SELECT COUNT(*) FROM takes").fetchone()[0]
    assert summary["rejected"] == count("reject") >= 3          # bad takes were refused and re-shot
    assert summary["rebinds"] == count("rebind") == 1
    assert summary["accepted"] == count("accept") == 10
    # every bad take's reason is one of the scripted flaws, in Chinese
    assert {"眼睛闭合", "离镜头太近，头顶出画"} <= set(summary["reject_reasons"]) | {
        r.split(" ")[0] for r in summary["reject_reasons"]}
    # the export on disk holds one validated photo per student, in per-college folders
    photos = sorted((ws / "export").glob("*/*.jpg"))
    assert len(photos) == summary["export"]["exported"] == 10
    assert {p.parent.name for p in photos} == {c["college"] for c in summary["by_college"]}
    # the rebound take belongs to the student whose face it shows (the next in line), accepted once
    take_id, new_subject = db.execute("SELECT take_id, subject_id FROM events WHERE kind = 'rebind'").fetchone()
    owner = db.execute("SELECT subject_id FROM take_state WHERE take_id = ?", (take_id,)).fetchone()[0]
    assert owner == new_subject


def test_demo_refuses_to_touch_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "photos.txt").write_text("do not delete")
    result = CliRunner().invoke(cli, ["demo", "--workspace", str(precious), "--fresh"])
    assert result.exit_code == 1 and "not a demo workspace" in result.output
    assert (precious / "photos.txt").read_text() == "do not delete"
