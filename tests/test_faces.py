"""Face continuity at the chair (issue 13) on the team's real photos, through the real virtual camera,
pipeline, journal and face book: the same person under two codes is warned, a different person for the
same code is warned, and `station purge-faces` deletes every face.

The photos are the team fixtures' 6000x4000 frames (../shared/testdata/frames: the portraits re-shot as
DSLR-like frames); skipped when absent; never copied anywhere.
"""
from __future__ import annotations

import json
import logging
import stat
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from camera import open_camera
from station.cli.main import cli
from station.core.errors import SessionError
from station.session.actions import Session, ShotOutcome
from station.store.faces import BOOK_FILE, FACES_DIR, face_counts
from station.store.workspace import Store
from workspace_factory import new_workspace, roster_rows

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages


def frame(testdata: Path, stem: str) -> bytes:
    return (testdata / "frames" / f"{stem}_blue6000_iod600.jpg").read_bytes()


@pytest.fixture
def session(tmp_path: Path, testdata: Path) -> Iterator[Session]:
    store = new_workspace(tmp_path / "ws", station_id="A1")
    store.upsert_subjects(roster_rows(4), source_file="roster.csv")
    yield Session(store, operator="t")
    store.close()


def shoot(session: Session, code: str, data: bytes) -> ShotOutcome:
    """Scan `code`, put `data` in front of the real virtual camera and press the shutter."""
    session.scan(code)
    with open_camera("virtual", state_dir=session.workspace / "state", frames=[data]) as camera:
        session.camera = camera
        return session.shoot()


def accept(session: Session, take_id: int) -> None:
    """Accept as the operator at the chair does: the team's frames are not all station-perfect (and a face
    warning needs it), so with the override reason, which the accept event journals."""
    session.accept(take_id, override="checked by the operator")
    event = session.store.conn.execute("SELECT data FROM events WHERE kind = 'accept' AND take_id = ? "
                                       "ORDER BY id DESC LIMIT 1", (take_id,)).fetchone()
    assert event is not None


def face_warnings(outcome: ShotOutcome) -> dict[str, dict]:
    return {w.code: w.to_json() for w in outcome.warnings if w.measure == "face_distance"}


def test_same_face_under_another_code_is_warned_naming_who_it_was_accepted_as(session: Session, testdata: Path,
                                                                              caplog) -> None:
    caplog.set_level(logging.DEBUG)
    first = shoot(session, "2019000001", frame(testdata, "df_img24_pichai_glasses"))
    assert face_warnings(first) == {}
    accept(session, first.take.id)
    name = session.store.find_subject("code", "2019000001").name

    again = shoot(session, "2019000002", frame(testdata, "df_img25_pichai_glasses"))
    warned = face_warnings(again)
    assert set(warned) == {"same_face_other"}
    w = warned["same_face_other"]
    assert w["override"] is True and w["level"] == "warn"
    assert w["value"] <= session.preset().likeness.same_face_distance
    assert f"{name} 2019000001 (No. 1) at " in w["en"] and "此人脸已在" in w["zh"] and name in w["zh"]
    # the journal keeps the warning with the verdict (what `accept` and the controller read)
    stored = session.store.take(again.take.id).verdict
    assert [x.code for x in stored.warnings if x.measure == "face_distance"] == ["same_face_other"]
    # names are for the operator's screen only: no log line carries the name
    assert name not in caplog.text

    # another person for the same second code: nobody accepted that face, so no warning
    session.void(again.take.id, reason="wrong person in the chair")
    right = shoot(session, "2019000002", frame(testdata, "df_img32_damon"))
    assert face_warnings(right) == {}


def test_a_screen_shows_the_verdict_before_the_face_check_and_no_decision_skips_it(session: Session,
                                                                                  testdata: Path) -> None:
    """`defer_after` (the shoot screen, the console): the verdict is journalled and drawn first, the face check
    and the photo's validation follow (`settle`); a decision on a take whose check is still pending (the
    screen's process was killed, or another process decides) runs the check first, so its warning is overridden
    knowingly, never missed."""
    session.defer_after = True
    first = shoot(session, "2019000001", frame(testdata, "df_img24_pichai_glasses"))
    assert session.settle() is not None
    accept(session, first.take.id)

    again = shoot(session, "2019000002", frame(testdata, "df_img25_pichai_glasses"))
    assert face_warnings(again) == {}                         # on the screen before the face check
    pending = session.store.take(again.take.id).verdict
    assert pending.extra.get("after_pending") is True and "validation" not in pending.extra
    other = Session(session.store, operator="t2")             # as if this process died before `settle`
    other.accept(again.take.id, override="checked by the operator")
    event = session.store.conn.execute("SELECT data FROM events WHERE kind = 'accept' AND take_id = ?",
                                       (again.take.id,)).fetchone()
    assert "same_face_other" in [e["code"] for e in json.loads(event[0])["override"]["overrode"]]
    done = session.store.take(again.take.id).verdict
    assert [w.code for w in done.warnings if w.measure == "face_distance"] == ["same_face_other"]
    assert "after_pending" not in done.extra
    if pending.photo:                   # the pipeline's photo: its validation kept with it (the export trusts it)
        assert done.extra["validation"]["sha256"] == pending.photo_sha256
    assert session.settle() is not None                       # the session's own job finds it done: not twice
    assert [w.code for w in session.store.take(again.take.id).verdict.warnings
            if w.measure == "face_distance"] == ["same_face_other"]


def test_a_different_person_for_the_same_code_is_warned(session: Session, testdata: Path) -> None:
    first = shoot(session, "2019000003", frame(testdata, "df_img6_jolie"))
    session.reject(first.take.id, reason="闭眼")
    same = shoot(session, "2019000003", frame(testdata, "df_img11_jolie"))
    assert "different_face_same_student" not in face_warnings(same)
    session.reject(same.take.id, reason="再拍")
    other = shoot(session, "2019000003", frame(testdata, "df_img3_aniston"))
    w = face_warnings(other)["different_face_same_student"]
    assert w["override"] is True and w["value"] > session.preset().likeness.warn_distance
    assert f"take {first.take.id}" in w["en"] or f"take {same.take.id}" in w["en"]


def test_a_face_accepted_at_another_station_is_warned_with_that_station(tmp_path: Path, testdata: Path,
                                                                         session: Session) -> None:
    other_ws = tmp_path / "ws2"
    other = new_workspace(other_ws, station_id="B2")
    other.upsert_subjects(roster_rows(8)[4:], source_file="roster.csv")   # other students
    there = Session(other, operator="t")
    accept(there, shoot(there, "2019000006", frame(testdata, "df_img47_johansson")).take.id)
    other.close()
    session.face_workspaces = (other_ws,)
    here = shoot(session, "2019000001", frame(testdata, "df_img51_johansson"))
    w = face_warnings(here)["same_face_other"]        # img47/img51 frames: 0.30 apart (one shoot)
    assert "2019000006" in w["en"] and "station B2" in w["en"] and w["face"]["station_id"] == "B2"


def test_face_data_is_owner_only_kept_apart_from_the_journal_and_purged(session: Session, testdata: Path) -> None:
    shot = shoot(session, "2019000001", frame(testdata, "df_img24_pichai_glasses"))
    ws = session.workspace
    book = ws / FACES_DIR / BOOK_FILE
    assert stat.S_IMODE(book.stat().st_mode) == 0o600
    assert stat.S_IMODE((ws / FACES_DIR).stat().st_mode) == 0o700
    assert face_counts(ws) == {"takes": 1, "enrolment": 0}
    # the journal holds the verdict and its warnings, never the embedding itself
    raw = (ws / "journal.sqlite3").read_bytes()
    assert b"CSFE" not in raw and "dlib-resnet" not in json.dumps(session.store.take(shot.take.id).verdict.to_json())

    runner = CliRunner()
    refused = runner.invoke(cli, ["-w", str(ws), "purge-faces"], input="n\n")
    assert refused.exit_code == 1 and (ws / FACES_DIR).exists()
    done = runner.invoke(cli, ["-w", str(ws), "purge-faces", "--yes"])
    assert done.exit_code == 0, done.output
    assert "1" in done.output and not (ws / FACES_DIR).exists()
    with Store.open(ws) as store:                        # the take itself is untouched
        assert store.take(shot.take.id).files[0].file


def test_export_refuses_two_students_with_the_same_face_unless_allowed(session: Session, testdata: Path,
                                                                       tmp_path: Path) -> None:
    a = shoot(session, "2019000001", frame(testdata, "df_img18_musk"))
    accept(session, a.take.id)
    b = shoot(session, "2019000002", frame(testdata, "hv_test0"))        # the same man, another photo
    assert "same_face_other" in face_warnings(b)
    with pytest.raises(SessionError):
        session.accept(b.take.id)                    # the same face: not without a reason
    accept(session, b.take.id)
    data = json.loads(session.store.conn.execute("SELECT data FROM events WHERE kind = 'accept' AND take_id = ?",
                                                 (b.take.id,)).fetchone()[0])
    assert "same_face_other" in [o["code"] for o in data["override"]["overrode"]]
    c = shoot(session, "2019000003", frame(testdata, "df_img3_aniston"))
    accept(session, c.take.id)
    ws = session.workspace
    names = [session.store.find_subject("code", f"201900000{i}").name for i in (1, 2)]
    runner = CliRunner()
    out = tmp_path / "out"

    refused = runner.invoke(cli, ["-w", str(ws), "export", str(out)])
    assert refused.exit_code == 1
    line = next(x for x in refused.output.splitlines() if "同一人脸对应两名学生" in x or "same face under" in x)
    assert all(n in line for n in names) and "2019000001" in line and "2019000002" in line
    assert "nothing was written" in refused.output and not out.exists()

    again = runner.invoke(cli, ["-w", str(ws), "export", str(out), "--json"])
    assert again.exit_code == 1 and len(json.loads(again.stdout)["same_face"]) == 1

    allowed = runner.invoke(cli, ["-w", str(ws), "export", str(out), "--allow-same-face", "2019000002"])
    assert allowed.exit_code == 0, allowed.output
    assert "已允许同一人脸" in allowed.output or "same face allowed" in allowed.output
    assert len(list(out.rglob("*.jpg"))) == 3
    with Store.open(ws) as store:
        event = store.conn.execute("SELECT data FROM events WHERE kind = 'export' ORDER BY id DESC").fetchone()
    journalled = json.loads(event[0])["same_face_allowed"]
    assert [sorted(p["codes"]) for p in journalled] == [["2019000001", "2019000002"]]

    # purged face data is not computed again by the export: it says what it could not audit
    assert runner.invoke(cli, ["-w", str(ws), "purge-faces", "--yes"]).exit_code == 0
    unaudited = runner.invoke(cli, ["-w", str(ws), "export", str(out), "--json"])
    assert unaudited.exit_code == 0 and json.loads(unaudited.stdout)["face_unaudited"] == 3
    assert not (ws / FACES_DIR).exists()


# ---------------------------------------------------------------------------------------------- enrolment photos
def enrolment_like(data: bytes, *, size: tuple[int, int] = (150, 200), gray: bool = True) -> bytes:
    """A small head-and-shoulders crop of a real photo, as a school's 学籍照片 often is (made in tmp only)."""
    import io
    from PIL import Image, ImageOps
    from pipeline.likeness import embed
    x0, y0, x1, y1 = embed(data).box
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    image = image.convert("L" if gray else "RGB")
    cx, cy, w = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 0.45
    h = w * 4 / 3
    crop = image.crop((round(cx - w / 2), round(cy - 0.45 * h), round(cx + w / 2), round(cy + 0.55 * h)))
    out = io.BytesIO()
    crop.resize(size).save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.fixture
def photo_dir(tmp_path: Path, testdata: Path) -> Path:
    folder = tmp_path / "学籍照片"
    (folder / "计算机").mkdir(parents=True)
    portraits = testdata / "portraits"
    (folder / "2019000001.jpg").write_bytes(enrolment_like((portraits / "df_img6_jolie.jpg").read_bytes()))
    png = enrolment_like((portraits / "df_img32_damon.jpg").read_bytes(), size=(480, 640), gray=False)
    from PIL import Image
    import io
    Image.open(io.BytesIO(png)).save(folder / "计算机" / "2019000002.png")
    return folder


def test_enrolment_photos_all_or_nothing_then_they_drive_the_warning(session: Session, photo_dir: Path,
                                                                     testdata: Path) -> None:
    ws = session.workspace
    good = (photo_dir / "2019000001.jpg").read_bytes()
    (photo_dir / "2019000003.jpg").write_bytes(good[: len(good) // 2])            # truncated
    (photo_dir / "2019000004.jpg").write_bytes(b"not a picture at all")
    (photo_dir / "9999999999.jpg").write_bytes(good)                              # nobody of that number
    (photo_dir / "notes.txt").write_text("学籍照片")
    runner = CliRunner()
    refused = runner.invoke(cli, ["-w", str(ws), "roster", "photos", str(photo_dir), "--json"])
    assert refused.exit_code == 1
    report = json.loads(refused.stdout)
    assert report["written"] is False
    assert sorted(r["file"] for r in report["refused"]) == ["2019000003.jpg", "2019000004.jpg",
                                                            "9999999999.jpg", "notes.txt"]
    assert face_counts(ws)["enrolment"] == 0                                      # nothing half-imported
    assert not list((ws / FACES_DIR).rglob("*.jpg")) if (ws / FACES_DIR).exists() else True

    done = runner.invoke(cli, ["-w", str(ws), "roster", "photos", str(photo_dir), "--skip-invalid"])
    assert done.exit_code == 1, done.output                   # files were refused (0 only with --partial-ok)
    assert face_counts(ws)["enrolment"] == 2
    thumbs = list((ws / FACES_DIR / "enrolment").glob("*.jpg"))
    assert len(thumbs) == 2 and all(stat.S_IMODE(t.stat().st_mode) == 0o600 for t in thumbs)
    from PIL import Image
    assert all(max(Image.open(t).size) <= 200 for t in thumbs)                    # a thumbnail, not the photo

    right = shoot(session, "2019000001", frame(testdata, "df_img11_jolie"))      # another photo of her
    assert "enrolment_mismatch" not in face_warnings(right)
    wrong = shoot(session, "2019000002", frame(testdata, "df_img47_johansson"))   # not Damon
    w = face_warnings(wrong)["enrolment_mismatch"]
    assert w["override"] is True and w["value"] > session.preset().likeness.enrolment_warn_distance
    assert f"{w['value']:.2f}" in w["en"]
    # Damon sits down under the third code: his face matches 2019000002's enrolment photo (made from the
    # same photo as this frame: the 1:N band is strict, so an old enrolment photo rarely comes this close)
    other = shoot(session, "2019000003", frame(testdata, "df_img32_damon"))
    w = face_warnings(other).get("enrolment_of_other")
    assert w is not None and "2019000002" in w["en"]

    # the registrar's report lists the accepted doubtful photo with both pictures side by side
    accept(session, wrong.take.id)
    accept(session, right.take.id)
    out = ws.parent / "report"
    made = runner.invoke(cli, ["-w", str(ws), "report", "--format", "html", "--out", str(out)])
    assert made.exit_code == 0, made.output
    page = (out / "report.html").read_text("utf-8")
    start = max(page.find("与学籍照片不符"), page.find("unlike the enrolment photo"))
    assert start > 0
    section = page[start:]
    name2 = session.store.find_subject("code", "2019000002").name
    name1 = session.store.find_subject("code", "2019000001").name
    assert name2 in section and name1 not in section.split("<h2>")[0]
    pair = section[section.index('class="pair"'):]
    pair = pair[:pair.index("</div>")]
    assert pair.count("data:image/jpeg;base64,") == 2


def test_a_rebind_to_the_right_student_clears_the_face_warnings(session: Session, photo_dir: Path,
                                                                 testdata: Path) -> None:
    ws = session.workspace
    assert CliRunner().invoke(cli, ["-w", str(ws), "roster", "photos", str(photo_dir)]).exit_code == 0
    wrong = shoot(session, "2019000001", frame(testdata, "df_img32_damon"))          # Damon jumped the queue
    warned = face_warnings(wrong)
    assert {"enrolment_mismatch", "enrolment_of_other"} <= set(warned)
    assert warned["enrolment_of_other"]["face"]["subject_code"] == "2019000002"
    moved, _ = session.rebind(wrong.take.id, warned["enrolment_of_other"]["face"]["subject_code"])
    assert not [w for w in moved.verdict.warnings if w.measure == "face_distance"]
    assert moved.verdict.photo == wrong.verdict.photo             # the same finished photo
