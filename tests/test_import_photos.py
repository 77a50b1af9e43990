"""`station import-photos`: match by student number, refuse with reasons, record as submitted, no re-import."""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from station.cli.main import cli
from station.store.workspace import Store
from station.session.submissions import check_file, compile_pattern
from test_report_helpers import ROSTER, new_workspace, portrait_jpeg, roster_row, submission_jpeg

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    with new_workspace(path) as store:
        store.upsert_subjects([roster_row(*r, serial=i) for i, r in enumerate(ROSTER)], source_file="roster.csv")
    return path


def run_import(ws: Path, folder: Path, *extra: str) -> dict:
    result = CliRunner().invoke(cli, ["-w", str(ws), "import-photos", str(folder), "--json", *extra],
                                catch_exceptions=False)
    report = json.loads(result.stdout)
    # a refused file makes the exit status 1 (the others are imported), unless --partial-ok
    assert result.exit_code == (1 if report["refused"] and "--partial-ok" not in extra else 0), result.output
    return report


def by_file(report: dict) -> dict[str, dict]:
    return {f["file"]: f for f in report["files"]}


def noisy_jpeg(size: tuple[int, int], quality: int, seed: int = 0) -> bytes:
    """Random-texture JPEG (big files at small sizes are hard to get otherwise)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def test_good_photo_is_matched_processed_and_recorded_as_submitted(ws: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = submission_jpeg(11)
    name = "湖南师范大学19届研究生2019003李娜.jpg"
    (inbox / name).write_bytes(data)
    report = run_import(ws, inbox)
    assert (report["imported"], report["duplicate"], report["refused"]) == (1, 0, 0)
    (outcome,) = report["files"]
    assert outcome["code"] == "2019003" and outcome["status"] == "imported"
    assert outcome["verdict_ok"] is True                         # the real pipeline passes this portrait
    with Store.open(ws) as store:
        subject = store.find_subject("student_no", "2019003")
        (take,) = store.takes(subject_id=subject.id)
        assert take.id == outcome["take_id"]
        assert take.source == "submitted"
        assert take.decision is None                             # waits for review like any take
        assert store.subject_status(subject.id) == "shot"
        assert take.primary.sha256 == hashlib.sha256(data).hexdigest()
        assert (ws / take.primary.file).read_bytes() == data
        assert take.verdict is not None and outcome["verdict_ok"] == take.verdict.ok
        photo = ws / take.verdict.photo
        with Image.open(photo) as im:
            assert im.size == (480, 640)
        accepted = store.accept(take.id)                        # reviewed and accepted like a station shot
        assert accepted.decision == "accept"
        assert store.checked_in_ids() == set()                   # nobody pretends they came to the session


def test_bad_files_are_refused_with_reasons(ws: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    small_bytes = io.BytesIO()
    with Image.open(io.BytesIO(portrait_jpeg(12))) as im:
        im.convert("RGB").resize((720, 960)).save(small_bytes, "JPEG", quality=40)
    assert len(small_bytes.getvalue()) < 100 * 1024
    (inbox / "学校19届研究生2019001张伟.jpg").write_bytes(small_bytes.getvalue())
    (inbox / "学校19届研究生2019002王芳.jpg").write_bytes(noisy_jpeg((600, 450), 95))
    png = io.BytesIO()
    with Image.open(io.BytesIO(submission_jpeg(13))) as im:
        im.save(png, "PNG")
    (inbox / "学校19届研究生2019004刘洋.jpg").write_bytes(png.getvalue())      # a PNG renamed .jpg
    (inbox / "学校19届研究生2099999无名.jpg").write_bytes(submission_jpeg(14))
    (inbox / "2019001和2019002.jpg").write_bytes(submission_jpeg(15))
    (inbox / "学校19届研究生2019005王芳.jpg").write_bytes(submission_jpeg(16))   # 2019005 is 陈静
    report = run_import(ws, inbox)
    assert (report["imported"], report["refused"]) == (0, 6)
    files = by_file(report)
    assert "KB" in files["学校19届研究生2019001张伟.jpg"]["reason"]
    assert "600x450" in files["学校19届研究生2019002王芳.jpg"]["reason"]
    assert "not a JPEG" in files["学校19届研究生2019004刘洋.jpg"]["reason"]
    assert "PNG" in files["学校19届研究生2019004刘洋.jpg"]["reason"]
    assert "no student number" in files["学校19届研究生2099999无名.jpg"]["reason"]
    assert "ambiguous" in files["2019001和2019002.jpg"]["reason"]
    assert "name" in files["学校19届研究生2019005王芳.jpg"]["reason"]
    with Store.open(ws) as store:
        assert store.takes() == []
        assert not list((ws / "originals").rglob("*.jpg"))


def test_reimport_is_a_no_op(ws: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "2019006杨磊.jpg").write_bytes(submission_jpeg(17))
    first = run_import(ws, inbox)
    assert first["imported"] == 1
    again = run_import(ws, inbox)
    assert (again["imported"], again["duplicate"]) == (0, 1)
    assert again["files"][0]["take_id"] == first["files"][0]["take_id"]
    (inbox / "copy of 2019006杨磊.jpg").write_bytes(submission_jpeg(17))     # same bytes, another name
    third = run_import(ws, inbox)
    assert (third["imported"], third["duplicate"]) == (0, 2)
    with Store.open(ws) as store:
        assert len(store.takes()) == 1
        assert store.conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'capture'").fetchone()[0] == 1


def test_text_output_lists_refusals_and_a_summary(ws: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "notes.txt").write_text("not a photo")
    (inbox / ".hidden.jpg").write_bytes(b"ignored")
    result = CliRunner().invoke(cli, ["-w", str(ws), "import-photos", str(inbox)])
    assert result.exit_code == 1                              # part of the input was refused
    assert CliRunner().invoke(cli, ["-w", str(ws), "import-photos", str(inbox), "--partial-ok"]).exit_code == 0
    assert "refused   notes.txt: not a JPEG" in result.output
    assert ".hidden" not in result.output
    assert "0 imported, 0 already imported, 1 refused" in result.output


def test_template_and_regex_patterns(ws: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "湖南师范大学19届研究生2019101赵敏.jpg").write_bytes(submission_jpeg(18))
    report = run_import(ws, inbox, "--pattern", "{school}{any}{student_no}{name}.jpg")
    assert report["imported"] == 1 and report["files"][0]["code"] == "2019101"
    inbox2 = tmp_path / "inbox2"
    inbox2.mkdir()
    (inbox2 / "photo-2019201.jpeg").write_bytes(submission_jpeg(19))
    (inbox2 / "2019102.jpg").write_bytes(submission_jpeg(20))
    report = run_import(ws, inbox2, "--pattern", r"re:photo-(?P<student_no>\d{7})\.jpe?g")
    files = by_file(report)
    assert files["photo-2019201.jpeg"]["status"] == "imported"
    assert files["2019102.jpg"]["reason"] == "file name does not fit the pattern"


def test_bad_pattern_is_a_one_line_error(ws: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(ws), "import-photos", str(tmp_path), "--pattern", "{surname}.jpg"])
    assert result.exit_code == 1 and "unknown field {surname}" in result.output
    with pytest.raises(Exception, match="needs"):
        compile_pattern("{name}.jpg")


def test_check_file_reads_bytes_not_names() -> None:
    assert check_file(submission_jpeg(11)) is None
    assert "not a JPEG" in (check_file(b"GIF89a....") or "")
    assert "not a readable JPEG" in (check_file(b"\xff\xd8\xff\xe0garbage") or "")


def test_full_width_digits_in_the_name_still_match(ws: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "学校１９届研究生２０１９００６杨磊.jpg").write_bytes(submission_jpeg(21))
    report = run_import(ws, inbox)
    assert report["imported"] == 1 and report["files"][0]["code"] == "2019006"


def test_a_submission_failing_the_pipeline_is_recorded_for_review_with_its_reasons(ws: Path, tmp_path: Path
                                                                                   ) -> None:
    from pipeline.synthetic import portrait
    from PIL import Image as PILImage
    with PILImage.open(io.BytesIO(portrait(31, width=1200, height=1600, flaw="two_faces").jpeg)) as im:
        pixels = np.asarray(im.convert("RGB"), dtype=np.int16)
    noise = np.random.default_rng(31).normal(0, 2.5, pixels.shape).round().astype(np.int16)
    buf = io.BytesIO()
    PILImage.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=95)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "2019002王芳.jpg").write_bytes(buf.getvalue())
    report = run_import(ws, inbox)
    (outcome,) = report["files"]
    assert outcome["status"] == "imported" and outcome["verdict_ok"] is False
    assert outcome["verdict_reasons"]
    with Store.open(ws) as store:
        take = store.take(outcome["take_id"])
        assert take.source == "submitted" and take.verdict is not None and not take.verdict.ok
        assert take.verdict.photo is None                         # nothing finished to export until re-sent
