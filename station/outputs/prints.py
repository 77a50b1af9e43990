"""Print sheets of accepted photos at 300 dpi: the "2寸×8张" a student takes home.

A sheet is one student's finished photo repeated in a grid, with gaps, cut guides and the student's name and
number in the margin so the print shop can cut and hand out sheets without mixing them up. The name is drawn
with a font that has Chinese glyphs (station.core.fonts): Pillow's own font would print boxes. Files are written atomically
and never replace a different existing file: a re-run is a no-op, a changed photo is refused, not hidden.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from config.i18n import N_, _
from station.store.durable import write_new_file
from station.core.errors import ExportError
from station.outputs.report import StudentRow
from station.core.naming import sanitize_component
from station.core.progress import Progress, SilentProgress

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

log = logging.getLogger(__name__)

DPI = 300
GUIDE = (150, 150, 150)
WHITE = (255, 255, 255)


def mm_to_px(mm: float, dpi: int = DPI) -> int:
    return round(mm / 25.4 * dpi)


@dataclass(frozen=True)
class Layout:
    """A sheet (pixels at 300 dpi) holding cols x rows copies of one photo size."""
    name: str
    description: str
    sheet: tuple[int, int]
    photo: tuple[int, int]
    cols: int
    rows: int
    gap: int = 12

    @property
    def copies(self) -> int:
        return self.cols * self.rows

    def origin(self) -> tuple[int, int]:
        """Top-left of the grid: the grid is centred on the sheet."""
        w = self.cols * self.photo[0] + (self.cols - 1) * self.gap
        h = self.rows * self.photo[1] + (self.rows - 1) * self.gap
        if w > self.sheet[0] or h > self.sheet[1]:
            raise ExportError(_("layout {layout}: the grid ({w}x{h}) does not fit the sheet {sheet}", layout=self.name,
                                w=w, h=h, sheet=self.sheet))
        return (self.sheet[0] - w) // 2, (self.sheet[1] - h) // 2

    def cells(self) -> list[tuple[int, int]]:
        x0, y0 = self.origin()
        return [(x0 + c * (self.photo[0] + self.gap), y0 + r * (self.photo[1] + self.gap))
                for r in range(self.rows) for c in range(self.cols)]


TWO_INCH = (mm_to_px(35), mm_to_px(49))    # 413 x 579
ONE_INCH = (mm_to_px(25), mm_to_px(35))    # 295 x 413

LAYOUTS: dict[str, Layout] = {
    "6inch-8": Layout("6inch-8", N_("8 two-inch (35x49 mm) photos on a 6-inch (4x6 in) sheet, landscape"),
                      (1800, 1200), TWO_INCH, cols=4, rows=2),
    "6inch-10": Layout("6inch-10", N_("10 one-inch (25x35 mm) photos on a 6-inch (4x6 in) sheet, landscape"),
                       (1800, 1200), ONE_INCH, cols=5, rows=2, gap=24),
    "5inch-4": Layout("5inch-4", N_("4 two-inch (35x49 mm) photos on a 5-inch (3.5x5 in) sheet, portrait"),
                      (1050, 1500), TWO_INCH, cols=2, rows=2, gap=24),
}


def get_layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ExportError(_("unknown print layout {name!r} (known: {known})", name=name, known=", ".join(LAYOUTS))) from None


def _fit(photo: PILImage, size: tuple[int, int]) -> PILImage:
    """Scale to cover `size` and centre-crop: the finished photo is 3:4, print sizes are slightly narrower,
    so only backdrop at the sides is lost, never the crown or chin."""
    from PIL import Image
    w, h = size
    scale = max(w / photo.width, h / photo.height)
    resized = photo.resize((max(w, round(photo.width * scale)), max(h, round(photo.height * scale))),
                           Image.Resampling.LANCZOS)
    left = (resized.width - w) // 2
    top = (resized.height - h) // 2
    return resized.crop((left, top, left + w, top + h))


def sheet_label(student: StudentRow) -> str:
    """What the margin says: the name (Chinese) and the student number (or the masked code)."""
    number = student.student_no or student.code
    return f"{student.name}  {number}" if student.name else number


def label_size(layout: Layout) -> int:
    """Font size in pixels for the margin label: as large as the margin allows, 10 to 28 px (0.8-2.4 mm)."""
    x0, y0 = layout.origin()
    return max(10, min(28, x0 - 16)) if x0 >= 24 else max(10, min(28, y0 - 4))


def compose_sheet(photo_path: Path, label: str, layout: Layout) -> PILImage:
    """The sheet image (RGB, 300 dpi) of one photo: copies, cut guides in the gaps and margins, label."""
    from PIL import Image, ImageDraw
    with Image.open(photo_path) as im:
        tile = _fit(im.convert("RGB"), layout.photo)
    sheet = Image.new("RGB", layout.sheet, WHITE)
    cells = layout.cells()
    for x, y in cells:
        sheet.paste(tile, (x, y))
    draw = ImageDraw.Draw(sheet)
    pw, ph = layout.photo
    sw, sh = layout.sheet
    xs = sorted({x for x, _ in cells} | {x + pw for x, _ in cells})
    ys = sorted({y for _, y in cells} | {y + ph for _, y in cells})
    x0, y0, x1, y1 = xs[0], ys[0], xs[-1], ys[-1]
    tick = 10
    for x in xs:                     # vertical cut positions: ticks above and below the grid
        draw.line([(x, max(0, y0 - tick * 3)), (x, y0 - 3)], fill=GUIDE)
        draw.line([(x, y1 + 3), (x, min(sh - 1, y1 + tick * 3))], fill=GUIDE)
    for y in ys:                     # horizontal cut positions: ticks left and right of the grid
        draw.line([(max(0, x0 - tick * 3), y), (x0 - 3, y)], fill=GUIDE)
        draw.line([(x1 + 3, y), (min(sw - 1, x1 + tick * 3), y)], fill=GUIDE)
    if layout.gap >= 4:              # a guide line down the middle of every gap
        for c in range(1, layout.cols):
            gx = x0 + c * (pw + layout.gap) - layout.gap // 2 - 1
            draw.line([(gx, y0), (gx, y1)], fill=GUIDE)
        for r in range(1, layout.rows):
            gy = y0 + r * (ph + layout.gap) - layout.gap // 2 - 1
            draw.line([(x0, gy), (x1, gy)], fill=GUIDE)
    _label(sheet, label, layout)
    return sheet


def _label(sheet: PILImage, label: str, layout: Layout) -> None:
    """Name and number in the margin: rotated in the left margin (landscape grids), else below the grid."""
    from PIL import Image, ImageDraw
    from station.core.fonts import cjk_font
    x0, y0 = layout.origin()
    ink = (0, 0, 0)
    font = cjk_font(label_size(layout))
    if x0 >= 24:
        box = ImageDraw.Draw(sheet).textbbox((0, 0), label, font=font)
        strip = Image.new("RGB", (box[2] + 4, box[3] + 4), WHITE)
        ImageDraw.Draw(strip).text((2, 2), label, fill=ink, font=font)
        strip = strip.rotate(90, expand=True)
        # lower half of the left margin, clear of the cut ticks at the row edges
        y = y0 + (layout.rows - 1) * (layout.photo[1] + layout.gap) + (layout.photo[1] - strip.height) // 2
        sheet.paste(strip, (max(2, (x0 - strip.width) // 2), max(0, y)))
    else:
        ImageDraw.Draw(sheet).text((x0 + 40, layout.sheet[1] - y0 + 2), label, fill=ink, font=font)


def encode_jpeg(sheet: PILImage) -> bytes:
    buf = io.BytesIO()
    sheet.save(buf, "JPEG", quality=95, dpi=(DPI, DPI), subsampling=0)
    return buf.getvalue()


def encode_pdf(sheets: Sequence[PILImage], title: str) -> bytes:
    """All sheets as one PDF at 300 dpi; no dates in it, so a re-run gives the same bytes."""
    buf = io.BytesIO()
    first, rest = sheets[0], list(sheets[1:])
    first.save(buf, "PDF", resolution=float(DPI), save_all=True, append_images=rest, title=title,
               creationDate=None, modDate=None)
    return buf.getvalue()


@dataclass
class PrintResult:
    """What a prints run did: files written or already identical, and what it could not do."""
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    conflicts: list[Path] = field(default_factory=list)          # a different file already has the name
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (student, reason)

    @property
    def ok(self) -> bool:
        return not self.conflicts


def _put(path: Path, data: bytes, result: PrintResult) -> None:
    """Create `path` atomically; identical content already there is fine, different content is refused."""
    if path.exists():
        (result.unchanged if path.read_bytes() == data else result.conflicts).append(path)
        return
    try:
        write_new_file(path, data)
    except FileExistsError:      # someone raced us to the name
        (result.unchanged if path.read_bytes() == data else result.conflicts).append(path)
        return
    result.written.append(path)


def make_prints(students: Iterable[StudentRow], outdir: Path, layout: Layout, *, pdf: bool = False,
                progress: Progress | None = None) -> PrintResult:
    """One sheet per accepted student, in OUTDIR/<college>/<student>.jpg or one OUTDIR/<college>-<layout>.pdf."""
    result = PrintResult()
    progress = progress or SilentProgress()
    by_college: dict[str, list[StudentRow]] = {}
    for s in students:
        if s.status != "accepted":
            continue
        if s.photo is None or not s.photo.is_file():
            result.skipped.append((s.student_no or s.code, "finished photo file missing"))
            continue
        by_college.setdefault(s.college, []).append(s)
    progress.start("sheets", sum(len(p) for p in by_college.values()))
    for college, people in sorted(by_college.items()):
        people.sort(key=lambda s: (s.class_name, s.student_no or s.code))
        folder = sanitize_component(college)
        pages: list[PILImage] = []
        for s in people:
            assert s.photo is not None
            sheet = compose_sheet(s.photo, sheet_label(s), layout)
            if pdf:
                pages.append(sheet)
            else:
                _put(outdir / folder / f"{sanitize_component(s.student_no or s.code)}.jpg", encode_jpeg(sheet), result)
            progress.advance()
        if pdf and pages:
            _put(outdir / f"{folder}-{layout.name}.pdf", encode_pdf(pages, f"{college} {layout.name}"), result)
    for path in result.conflicts:
        log.error("print sheet %s exists with different content; not overwritten", path.name)
    return result
