"""`station prints`: 300 dpi sheets of the right size with 8 copies, PDF pages, no overwriting."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, PdfParser

from station.cli.main import cli
from station.outputs.prints import LAYOUTS, _fit
from station.store.workspace import Store
from test_report_helpers import ACCEPTED, ROSTER, build_session

COLLEGE_OF = {r[0]: r[2] for r in ROSTER}
#: the command's summary lines are asserted in English (the source text)
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_session(tmp_path_factory.mktemp("prints") / "ws")


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def finished_photo(ws: Path, student_no: str) -> Path:
    with Store.open(ws) as store:
        subject = store.find_subject("student_no", student_no)
        take = next(t for t in store.takes(subject_id=subject.id) if t.decision == "accept")
        return ws / take.verdict.photo


def cell_pixels(sheet: Image.Image, layout_name: str) -> list[np.ndarray]:
    layout = LAYOUTS[layout_name]
    w, h = layout.photo
    arr = np.asarray(sheet.convert("RGB"), dtype=np.float32)
    return [arr[y:y + h, x:x + w] for x, y in layout.cells()]


def test_jpeg_sheets_are_300dpi_6inch_with_8_copies(session: Path, tmp_path: Path) -> None:
    out = tmp_path / "prints"
    output = run("-w", str(session), "prints", str(out))
    assert f"{len(ACCEPTED)} file(s) written" in output
    files = sorted(out.rglob("*.jpg"))
    assert sorted(p.stem for p in files) == sorted(ACCEPTED)
    for no in ACCEPTED:
        assert (out / COLLEGE_OF[no] / f"{no}.jpg").is_file()
    sheet_path = out / "法学院" / "2019001.jpg"
    with Image.open(sheet_path) as sheet:
        assert sheet.size == (1800, 1200)                       # 6 x 4 inch at 300 dpi
        assert tuple(round(v) for v in sheet.info["dpi"]) == (300, 300)
        cells = cell_pixels(sheet, "6inch-8")
        arr = np.asarray(sheet.convert("RGB"), dtype=np.float32)
    assert len(cells) == 8
    assert LAYOUTS["6inch-8"].photo == (413, 579)               # 35 x 49 mm at 300 dpi
    with Image.open(finished_photo(session, "2019001")) as photo:
        expected = np.asarray(_fit(photo.convert("RGB"), (413, 579)), dtype=np.float32)
    for cell in cells:                                           # every copy is the student's photo
        assert np.abs(cell - expected).mean() < 4.0
    with Image.open(finished_photo(session, "2019004")) as other:
        wrong = np.asarray(_fit(other.convert("RGB"), (413, 579)), dtype=np.float32)
    assert np.abs(cells[0] - wrong).mean() > 4 * np.abs(cells[0] - expected).mean()
    x0, y0 = LAYOUTS["6inch-8"].origin()
    assert x0 > 0 and y0 > 0
    assert arr[:, : x0 - 2].min() < 80                          # the student number is printed in the margin
    assert arr[y0 + 100, x0 + 413 + 2].mean() > 200             # the gap between copies is white


def test_cut_guides_are_drawn_in_the_gaps(session: Path, tmp_path: Path) -> None:
    out = tmp_path / "prints"
    run("-w", str(session), "prints", str(out), "--college", "商学院")
    with Image.open(out / "商学院" / "2019201.jpg") as sheet:
        arr = np.asarray(sheet.convert("L"), dtype=np.float32)
    layout = LAYOUTS["6inch-8"]
    x0, y0 = layout.origin()
    gap_x = x0 + layout.photo[0] + layout.gap // 2 - 1         # middle of the first column gap
    column = arr[y0 + 50: y0 + 500, gap_x - 1: gap_x + 2].min(axis=1)
    assert (column < 220).all()                                # a continuous guide line
    tick = arr[max(0, y0 - 12): y0 - 4, x0 - 1: x0 + 2]        # crop tick above the first cut
    assert tick.min() < 220


def test_rerun_is_a_no_op_and_a_different_file_is_never_overwritten(session: Path, tmp_path: Path) -> None:
    out = tmp_path / "prints"
    run("-w", str(session), "prints", str(out), "--college", "文学院")
    target = out / "文学院" / "2019101.jpg"
    first = target.read_bytes()
    again = run("-w", str(session), "prints", str(out), "--college", "文学院")
    assert "0 file(s) written, 1 already there" in again
    assert target.read_bytes() == first
    target.write_bytes(b"someone else's sheet")
    result = CliRunner().invoke(cli, ["-w", str(session), "prints", str(out), "--college", "文学院"])
    assert result.exit_code == 1
    assert "not overwritten" in result.output and "2019101.jpg" in result.output
    assert target.read_bytes() == b"someone else's sheet"


def test_pdf_has_one_page_per_student_at_6_by_4_inches(session: Path, tmp_path: Path) -> None:
    out = tmp_path / "pdf"
    run("-w", str(session), "prints", str(out), "--pdf")
    pdfs = sorted(out.glob("*.pdf"))
    assert [p.name for p in pdfs] == sorted(f"{c}-6inch-8.pdf" for c in set(COLLEGE_OF[n] for n in ACCEPTED))
    law = out / "法学院-6inch-8.pdf"
    parser = PdfParser.PdfParser(str(law))
    try:
        expected = sum(COLLEGE_OF[n] == "法学院" for n in ACCEPTED)
        assert len(parser.pages) == expected == 3
        page = parser.read_indirect(parser.pages[0])
        assert [round(float(v)) for v in page[b"MediaBox"]] == [0, 0, 432, 288]   # 6 x 4 inch in points
    finally:
        parser.close()
    before = law.read_bytes()
    again = run("-w", str(session), "prints", str(out), "--pdf")
    assert "0 file(s) written" in again
    assert law.read_bytes() == before


def test_other_layouts_and_unknown_layout(session: Path, tmp_path: Path) -> None:
    out = tmp_path / "one-inch"
    run("-w", str(session), "prints", str(out), "--layout", "6inch-10", "--college", "商学院")
    with Image.open(out / "商学院" / "2019201.jpg") as sheet:
        assert sheet.size == (1800, 1200)
        assert len(cell_pixels(sheet, "6inch-10")) == 10
    assert LAYOUTS["6inch-10"].photo == (295, 413)
    run("-w", str(session), "prints", str(out / "5"), "--layout", "5inch-4", "--college", "商学院")
    with Image.open(out / "5" / "商学院" / "2019201.jpg") as sheet:
        assert sheet.size == (1050, 1500)
    result = CliRunner().invoke(cli, ["-w", str(session), "prints", str(out), "--layout", "a4-99"])
    assert result.exit_code == 1 and "unknown print layout" in result.output


def test_sheet_is_a_real_jpeg_file(session: Path, tmp_path: Path) -> None:
    out = tmp_path / "prints"
    run("-w", str(session), "prints", str(out), "--college", "商学院")
    data = (out / "商学院" / "2019201.jpg").read_bytes()
    assert data[:3] == b"\xff\xd8\xff"
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG" and im.mode == "RGB"
    assert (out / "商学院" / "2019201.jpg").stat().st_mode & 0o077 == 0    # owner-only, like every export


# ------------------------------------------------------------------------------------------ Chinese names
def _ink_crop(gray: np.ndarray) -> np.ndarray:
    """The dark text pixels' bounding box (cut guides are light grey and stay out)."""
    ys, xs = np.nonzero(gray < 110)
    assert len(xs), "no text printed"
    return gray[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]


def _rendered(label: str, font) -> np.ndarray:
    from PIL import ImageDraw
    box = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), label, font=font)
    strip = Image.new("L", (box[2] + 8, box[3] + 8), 255)
    ImageDraw.Draw(strip).text((4, 4), label, fill=0, font=font)
    return _ink_crop(np.asarray(strip.rotate(90, expand=True), dtype=np.float32))


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    if abs(a.shape[0] - b.shape[0]) > 3 or abs(a.shape[1] - b.shape[1]) > 3:
        return 255.0
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    return float(np.abs(a[:h, :w] - b[:h, :w]).mean())


def test_the_sheet_prints_the_chinese_name_in_real_glyphs(session: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """张伟's sheet: the margin's ink is the bundled Noto font's 张伟 2019001, not boxes, not blank."""
    from PIL import ImageFont
    from station.core import fonts
    from station.outputs.prints import label_size
    monkeypatch.setattr(fonts, "system_cjk_face", lambda: None)      # this test checks the bundled font
    fonts.find_cjk_face.cache_clear()
    try:
        out = tmp_path / "prints"
        run("-w", str(session), "prints", str(out), "--college", "法学院")
        with Image.open(out / "法学院" / "2019001.jpg") as sheet:
            gray = np.asarray(sheet.convert("L"), dtype=np.float32)
    finally:
        fonts.find_cjk_face.cache_clear()
    layout = LAYOUTS["6inch-8"]
    x0, _y0 = layout.origin()
    printed = _ink_crop(gray[:, : x0 - 4])
    size = label_size(layout)
    noto = ImageFont.truetype(str(fonts.bundled_font_path()), size)
    same = _difference(printed, _rendered("张伟  2019001", noto))
    assert same < 25, same                                             # JPEG noise only
    assert _difference(printed, _rendered("李娜  2019001", noto)) > 2 * same    # it is this name
    assert _difference(printed, _rendered("张伟  2019001", ImageFont.load_default(size=size))) > 2 * same
    assert (printed < 110).sum() > 400                                  # strokes, not a dot
