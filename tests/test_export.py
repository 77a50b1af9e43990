"""`station export` end to end: real workspaces (SQLite journal, durable files), real CLI, real pipeline.

When the pipeline package does not provide `process`/`validate` yet, a small stand-in with the same contract
(size check) is used so the export logic stays tested; with the real pipeline the photos are real renders of
generated portraits and every exported file is checked by the real `pipeline.validate`.
"""
from __future__ import annotations

import csv
import functools
import hashlib
from datetime import datetime
import io
import json
import stat
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from station.cli.main import cli
from station.store.workspace import Store
import workspace_factory as wf

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages

REAL_PIPELINE = False
try:
    import pipeline as _pipeline
    from pipeline import synthetic as _synthetic  # noqa: F401
    REAL_PIPELINE = hasattr(_pipeline, "validate") and hasattr(_pipeline, "process")
except ImportError:
    pass


# ---------------------------------------------------------------------------------------------- fixtures
def _stub_validate(jpeg: bytes, preset: Any) -> Any:
    img = Image.open(io.BytesIO(jpeg))
    ok = img.size == (preset.file.width, preset.file.height)
    rule = SimpleNamespace(rule="size", status="pass" if ok else "fail",
                           detail=f"{img.size[0]}x{img.size[1]}, need {preset.file.width}x{preset.file.height}")
    return SimpleNamespace(ok=ok, rules=(rule,))


@functools.lru_cache(maxsize=None)
def _stub_photo(seed: int) -> wf.Photo:
    img = Image.effect_noise((480, 640), 30 + seed).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=60)
    return wf.Photo(buf.getvalue(), {"ok": True, "stub": True})


@pytest.fixture
def photos(monkeypatch: pytest.MonkeyPatch):
    """photos(seed) -> a finished photo that passes validation (real pipeline when available)."""
    if REAL_PIPELINE:
        return wf.finished_photo
    import pipeline
    monkeypatch.setattr(pipeline, "validate", _stub_validate, raising=False)
    return _stub_photo


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def export(runner: CliRunner, ws: Path, out: Path, *args: str) -> Any:
    return runner.invoke(cli, ["-w", str(ws), "export", str(out), *args], catch_exceptions=False)


def export_json(runner: CliRunner, ws: Path, out: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = export(runner, ws, out, "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


ROWS = wf.roster_rows(18)     # 3 colleges x 2 classes
PATTERN = ("accept", "accept", "reject", "accept", "unshot", "absent")


@pytest.fixture
def two_stations(tmp_path: Path, photos) -> dict[str, Any]:
    """S1 shoots the first half of a shared roster, S2 the second half (same roster imported at both)."""
    s1 = wf.new_workspace(tmp_path / "s1", "S1")
    s2 = wf.new_workspace(tmp_path / "s2", "S2")
    s1.upsert_subjects(ROWS, source_file="roster.xlsx")
    s2.upsert_subjects(ROWS, source_file="roster.xlsx")
    first, second = ROWS[:9], ROWS[9:]
    played = wf.populate(s1, first, outcome=wf.cycle_outcomes(PATTERN), photo=lambda i, r: photos(0),
                         roster=True)
    played.update(wf.populate(s2, second, outcome=wf.cycle_outcomes(PATTERN), photo=lambda i, r: photos(1),
                              roster=True))
    # S2 never saw the first half, S1 never the second: they are "absent" there, not missing twice
    s1.close()
    s2.close()
    return {"s1": tmp_path / "s1", "s2": tmp_path / "s2", "played": played}


# ---------------------------------------------------------------------------------------------- tests
def test_two_stations_three_colleges(runner: CliRunner, two_stations: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, result = export_json(runner, two_stations["s1"], out, "--from", str(two_stations["s2"]), "--zip")
    assert code == 0, result
    played = two_stations["played"]
    accepted = {r["code"] for r in ROWS if played[r["code"]] == "accept"}
    by_code = {r["code"]: r for r in ROWS}

    for college in wf.COLLEGES:
        folder = out / college
        expected = {f"{c}.jpg" for c in accepted if by_code[c]["college"] == college}
        assert {p.name for p in folder.glob("*.jpg")} == expected
        manifest = read_csv(folder / "manifest.csv")
        assert manifest[0] == ["拍摄号", "采集码", "学号", "姓名", "班级", "文件名", "SHA256", "拍摄时间", "工位"]
        assert len(manifest) == len(expected) + 1
        for row in manifest[1:]:
            subject = by_code[row[1]]
            assert row[2] == subject["student_no"] and row[3] == subject["name"] and row[4] == subject["class_name"]
            assert hashlib.sha256((folder / row[5]).read_bytes()).hexdigest() == row[6]
            assert row[8] == ("S1" if ROWS.index(subject) < 9 else "S2")
            assert row[0].isdigit()
            assert subject["id_number"] not in (folder / "manifest.csv").read_text("utf-8-sig")
        with zipfile.ZipFile(out / f"{college}.zip") as zf:
            names = sorted(zf.namelist())
            assert names == sorted([f"{college}/{n}" for n in expected] + [f"{college}/manifest.csv"])
            shot_at = {f"{college}/{row[5]}": datetime.fromisoformat(row[7]) for row in manifest[1:]}
            offset = datetime.now().astimezone().isoformat()[-6:]
            assert all(row[7].endswith(offset) for row in manifest[1:])        # local time, with its offset
            for info in zf.infolist():
                assert info.flag_bits & 0x800
                when = shot_at.get(info.filename) or max(shot_at.values(), default=None)   # manifest: newest
                assert info.date_time == ((when.year, when.month, when.day, when.hour, when.minute,
                                           when.second - when.second % 2) if when else (1980, 1, 1, 0, 0, 0))
                assert zf.read(info) == (out / info.filename).read_bytes()

    missing = {m["code"] for m in result["missing"]}
    assert missing == {r["code"] for r in ROWS if played[r["code"]] != "accept"}
    assert result["exported"] == len(accepted)
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert {c["college"]: c["exported"] for c in summary["colleges"]} == {
        col: sum(1 for c in accepted if by_code[c]["college"] == col) for col in wf.COLLEGES}
    summary_rows = read_csv(out / "summary.csv")
    assert summary_rows[-1][:2] == ["合计", ""] and int(summary_rows[-1][2]) == len(accepted)
    assert {r[3] for r in read_csv(out / "missing.csv")[1:]} == missing

    # owner-only, and an export event in both journals
    assert stat.S_IMODE((out / wf.COLLEGES[0]).stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.rglob("*") if p.is_file())
    for ws in (two_stations["s1"], two_stations["s2"]):
        with Store.open(ws) as store:
            events = store.conn.execute("SELECT data FROM events WHERE kind = 'export'").fetchall()
        assert len(events) == 1 and json.loads(events[0][0])["exported"] == len(accepted)


def test_reexport_is_byte_identical_and_updates_in_place(runner: CliRunner, two_stations: dict[str, Any],
                                                         tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("--from", str(two_stations["s2"]), "--zip")
    assert export(runner, two_stations["s1"], out, *args).exit_code == 0
    first = wf.file_hashes(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    code, result = export_json(runner, two_stations["s1"], out, *args)
    assert code == 0 and result["written"] == 0 and result["unchanged"] == result["exported"]
    assert wf.file_hashes(out) == first
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes   # untouched, not rewritten
    assert not [p for p in out.rglob("*.part")]


def test_reexport_notices_an_output_photo_changed_or_deleted_since(runner: CliRunner, two_stations: dict[str, Any],
                                                                   tmp_path: Path) -> None:
    """A re-export trusts its own files by their recorded size, time and inode, never blindly: a photo
    someone edited in the output folder is refused by name (left as it is), a deleted one is written back."""
    out = tmp_path / "out"
    args = ("--from", str(two_stations["s2"]))
    assert export(runner, two_stations["s1"], out, *args).exit_code == 0
    first = wf.file_hashes(out)
    accepted = next(r for r in ROWS if two_stations["played"][r["code"]] == "accept")
    photo = out / accepted["college"] / f"{accepted['code']}.jpg"
    photo.write_bytes(photo.read_bytes() + b"edited")
    result = export(runner, two_stations["s1"], out, *args)
    assert result.exit_code == 1
    assert f"{accepted['college']}/{accepted['code']}.jpg" in result.stderr
    assert photo.read_bytes().endswith(b"edited")
    photo.unlink()
    code, data = export_json(runner, two_stations["s1"], out, *args)
    assert code == 0 and data["written"] == 1 and data["unchanged"] == data["exported"] - 1
    assert wf.file_hashes(out) == first


def test_same_subject_at_two_stations_is_a_conflict(runner: CliRunner, tmp_path: Path, photos) -> None:
    rows = wf.roster_rows(3)
    s1, s2 = wf.new_workspace(tmp_path / "s1", "S1"), wf.new_workspace(tmp_path / "s2", "S2")
    wf.populate(s1, rows, outcome=lambda i, r: "accept", photo=photos(0))
    s2.upsert_subjects(rows, source_file="r")
    take2 = wf.shoot(s2, s2.find_subject("code", rows[1]["code"]), photos(1))
    take1 = s1.takes(subject_id=s1.find_subject("code", rows[1]["code"]).id)[0]
    s1.close()
    s2.close()
    out = tmp_path / "out"
    result = export(runner, tmp_path / "s1", out, "--from", str(tmp_path / "s2"))
    assert result.exit_code == 1
    assert rows[1]["code"] in result.stderr
    assert f"S1 take {take1.id}" in result.stderr and f"S2 take {take2.id}" in result.stderr
    assert not out.exists(), "a refused export writes nothing"

    code, data = export_json(runner, tmp_path / "s1", out, "--from", str(tmp_path / "s2"), "--prefer", "newest")
    assert code == 0
    [conflict] = data["conflicts"]
    assert conflict["resolved_to"]["station_id"] == "S2"
    exported = (out / rows[1]["college"] / f"{rows[1]['code']}.jpg").read_bytes()
    assert exported == photos(1).jpeg


def test_same_workspace_twice_is_not_a_conflict(runner: CliRunner, two_stations: dict[str, Any],
                                                tmp_path: Path) -> None:
    code, data = export_json(runner, two_stations["s1"], tmp_path / "out", "--from", str(two_stations["s1"]),
                             "--from", str(two_stations["s2"]))
    assert code == 0 and data["conflicts"] == []
    assert len(data["sources"]) == 2


def test_failing_photo_blocks_the_export_with_its_name(runner: CliRunner, tmp_path: Path, photos) -> None:
    rows = wf.roster_rows(4)
    store = wf.new_workspace(tmp_path / "ws", "S1")
    wf.populate(store, rows, outcome=lambda i, r: "accept",
                photo=lambda i, r: wf.bad_photo() if i == 2 else photos(0))
    store.close()
    out = tmp_path / "out"
    result = export(runner, tmp_path / "ws", out)
    assert result.exit_code == 1
    bad_name = f"{rows[2]['college']}/{rows[2]['code']}.jpg"
    assert bad_name in result.stderr
    assert not out.exists()

    code, data = export_json(runner, tmp_path / "ws", out, "--skip-invalid")
    assert code == 1                                          # a photo was left out: exit 1 unless --partial-ok
    assert export_json(runner, tmp_path / "ws", out, "--skip-invalid", "--partial-ok")[0] == 0
    assert [i["file"] for i in data["invalid"]] == [bad_name] and data["invalid"][0]["failures"]
    assert not (out / bad_name).exists()
    assert data["exported"] == 3
    assert rows[2]["code"] in {r[3] for r in read_csv(out / "missing.csv")[1:]}
    assert json.loads((out / "summary.json").read_text("utf-8"))["invalid"][0]["file"] == bad_name


def test_changed_photo_is_invalid(runner: CliRunner, tmp_path: Path, photos) -> None:
    rows = wf.roster_rows(1)
    store = wf.new_workspace(tmp_path / "ws", "S1")
    wf.populate(store, rows, outcome=lambda i, r: "accept", photo=photos(0))
    rel = store.takes()[0].verdict.photo
    store.close()
    path = tmp_path / "ws" / rel
    path.chmod(0o600)
    path.write_bytes(photos(1).jpeg)
    result = export(runner, tmp_path / "ws", tmp_path / "out")
    assert result.exit_code == 1 and "changed since its verdict" in result.stderr


def test_rosterless_session_exports_by_code_into_checkin_colleges(runner: CliRunner, tmp_path: Path,
                                                                  photos) -> None:
    rows = [{"code": f"CJM{i:04d}", "college": wf.COLLEGES[i % 2]} for i in range(6)]
    store = wf.new_workspace(tmp_path / "ws", "S3")
    wf.populate(store, rows, outcome=lambda i, r: "absent" if i == 5 else "accept", photo=photos(0), roster=False)
    assert not store.has_roster()
    store.close()
    out = tmp_path / "out"
    code, data = export_json(runner, tmp_path / "ws", out)
    assert code == 0
    for r in rows[:5]:
        assert (out / r["college"] / f"{r['code']}.jpg").is_file()
    assert [m["code"] for m in data["missing"]] == ["CJM0005"]
    manifest = read_csv(out / wf.COLLEGES[0] / "manifest.csv")
    assert {row[1] for row in manifest[1:]} == {"CJM0000", "CJM0002", "CJM0004"}


def test_chinese_spaces_and_slashes_in_names(runner: CliRunner, tmp_path: Path, photos) -> None:
    rows = wf.roster_rows(2, names=lambda i: ["张 三/丰", "CON"][i])
    rows[0]["class_name"] = "计科 1/2班"
    rows[1]["class_name"] = ".."
    store = wf.new_workspace(tmp_path / "ws", "S1")
    wf.populate(store, rows, outcome=lambda i, r: "accept", photo=photos(0))
    store.close()
    out = tmp_path / "out"
    code, data = export_json(runner, tmp_path / "ws", out, "--naming", "{class}/{student_no}_{name}.jpg")
    assert code == 0, data
    a = out / rows[0]["college"] / "计科 1_2班" / f"{rows[0]['student_no']}_张 三_丰.jpg"
    b = out / rows[1]["college"] / "_" / f"{rows[1]['student_no']}_CON.jpg"
    assert a.is_file() and b.is_file()
    manifest = read_csv(out / rows[0]["college"] / "manifest.csv")
    assert manifest[1][5] == f"计科 1_2班/{rows[0]['student_no']}_张 三_丰.jpg"
    assert all(out in p.resolve().parents for p in out.rglob("*"))


def test_two_subjects_on_one_name_are_refused(runner: CliRunner, tmp_path: Path, photos) -> None:
    rows = wf.roster_rows(6, names=lambda i: "王芳")
    store = wf.new_workspace(tmp_path / "ws", "S1")
    wf.populate(store, rows, outcome=lambda i, r: "accept", photo=photos(0))
    store.close()
    out = tmp_path / "out"
    result = export(runner, tmp_path / "ws", out, "--naming", "{name}.jpg")
    assert result.exit_code == 1
    assert "name collision" in result.stderr and "王芳.jpg" in result.stderr
    assert not out.exists()


def test_id_numbers_only_in_manifest_when_naming_uses_them(runner: CliRunner, tmp_path: Path, photos) -> None:
    rows = wf.roster_rows(3)
    store = wf.new_workspace(tmp_path / "ws", "S1")
    wf.populate(store, rows, outcome=lambda i, r: "accept", photo=photos(0))
    store.close()
    out = tmp_path / "out"
    assert export(runner, tmp_path / "ws", out, "--naming", "{id_number}.jpg").exit_code == 0
    manifest = read_csv(out / rows[0]["college"] / "manifest.csv")
    assert manifest[0][-1] == "身份证号" and manifest[1][-1] == rows[0]["id_number"]
    assert (out / rows[0]["college"] / f"{rows[0]['id_number']}.jpg").is_file()


def test_foreign_file_in_the_way_is_never_overwritten(runner: CliRunner, two_stations: dict[str, Any],
                                                      tmp_path: Path) -> None:
    out = tmp_path / "out"
    accepted = next(r for r in ROWS if two_stations["played"][r["code"]] == "accept")
    foreign = out / accepted["college"] / f"{accepted['code']}.jpg"
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"somebody else's photo")
    result = export(runner, two_stations["s1"], out, "--from", str(two_stations["s2"]))
    assert result.exit_code == 1
    assert f"{accepted['college']}/{accepted['code']}.jpg" in result.stderr
    assert foreign.read_bytes() == b"somebody else's photo"
    assert not (out / "summary.json").exists()


def test_our_own_changed_file_is_updated_and_a_withdrawn_photo_removed(runner: CliRunner, tmp_path: Path,
                                                                       photos) -> None:
    rows = wf.roster_rows(3)
    store = wf.new_workspace(tmp_path / "ws", "S1")
    wf.populate(store, rows, outcome=lambda i, r: "accept", photo=photos(0))
    out = tmp_path / "out"
    assert export(runner, tmp_path / "ws", out, "--zip").exit_code == 0
    # the operator voids one accepted take and re-shoots another with a different photo
    gone = store.takes(subject_id=store.find_subject("code", rows[0]["code"]).id)[0]
    store.void(gone.id, reason="wrong student")
    wf.shoot(store, store.find_subject("code", rows[1]["code"]), photos(1))
    store.close()
    code, data = export_json(runner, tmp_path / "ws", out, "--zip")
    assert code == 0, data
    assert data["removed"] == [f"{rows[0]['college']}/{rows[0]['code']}.jpg"]
    assert not (out / rows[0]["college"] / f"{rows[0]['code']}.jpg").exists()
    assert (out / rows[1]["college"] / f"{rows[1]['code']}.jpg").read_bytes() == photos(1).jpeg
    assert data["written"] == 1


def test_interrupted_export_leaves_no_half_file_and_reruns_cleanly(runner: CliRunner, two_stations: dict[str, Any],
                                                                   tmp_path: Path, monkeypatch) -> None:
    import station.outputs.outdir as outdir
    out = tmp_path / "out"
    real_replace, calls = outdir.os.replace, []

    def dying_replace(src: Any, dst: Any) -> None:
        calls.append(dst)
        if len(calls) == 4:
            raise KeyboardInterrupt("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(outdir.os, "replace", dying_replace)
    interrupted = runner.invoke(cli, ["-w", str(two_stations["s1"]), "export", str(out),
                                      "--from", str(two_stations["s2"])])
    assert interrupted.exit_code != 0 and len(calls) == 4
    monkeypatch.setattr(outdir.os, "replace", real_replace)
    assert not list(out.rglob("*.part"))
    assert not (out / "summary.json").exists()     # written last: an unfinished export does not look finished
    for p in out.rglob("*.jpg"):
        assert len(p.read_bytes()) > 1000
    # a crash (not an exception) could leave a temp file: the next run removes it
    leftover = next(p for p in out.iterdir() if p.is_dir()) / ".~x.jpg.0123abcd.part"
    leftover.write_bytes(b"half")
    assert export(runner, two_stations["s1"], out, "--from", str(two_stations["s2"])).exit_code == 0
    assert not leftover.exists()
    first = wf.file_hashes(out)
    assert export(runner, two_stations["s1"], out, "--from", str(two_stations["s2"])).exit_code == 0
    assert wf.file_hashes(out) == first


def test_college_filter(runner: CliRunner, two_stations: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, data = export_json(runner, two_stations["s1"], out, "--from", str(two_stations["s2"]),
                             "--college", wf.COLLEGES[1])
    assert code == 0
    assert [c["college"] for c in data["colleges"]] == [wf.COLLEGES[1]]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [wf.COLLEGES[1]]
    result = export(runner, two_stations["s1"], out, "--college", "不存在学院")
    assert result.exit_code == 1 and "no such college" in result.stderr


def test_identical_photos_are_validated_once(two_stations: dict[str, Any], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline
    from station.outputs.export import ExportOptions, run_export
    real, seen = pipeline.validate, []
    monkeypatch.setattr(pipeline, "validate", lambda data, preset: seen.append(1) or real(data, preset))
    result = run_export(tmp_path / "out", [two_stations["s1"], two_stations["s2"]], ExportOptions())
    assert result.ok and result.exported > 2
    assert len(seen) == 2        # two distinct photos (one per station) in the fixture


def test_export_help(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["export", "--help"])
    assert result.exit_code == 0 and "--prefer" in result.output and "--from" in result.output
