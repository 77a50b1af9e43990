"""Contact sheets: one HTML page per class with a thumbnail, name and student number for every accepted photo.

A class monitor knows every face in the class; a page of thumbnails is the cheapest way to catch a photo bound
to the wrong student before it is uploaded. Thumbnails are embedded (base64), so the page is one file that can
be mailed or printed as is.
"""
from __future__ import annotations

import base64
import html
import io
import logging
from pathlib import Path
from typing import Sequence

from config.i18n import _, current_language
from station.outputs.report import StudentRow
from station.outputs.report_formats import status_label

log = logging.getLogger(__name__)

THUMB_SIZE = (150, 200)     # 3:4 like the finished photo

#: the Chinese fonts of Windows, macOS and Linux offices, in that order, then the bundled Noto subset's family:
#: a browser that only knows "sans-serif" may pick a Latin font and show Chinese names as boxes when printing
CJK_FONT_STACK = ('"Microsoft YaHei", "微软雅黑", "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", '
                  '"Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", SimHei, SimSun, sans-serif')

STYLE = """
body { font-family: %s; margin: 1.5em; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #999; padding: 2px 8px; }
th { background: #eee; } td.num { text-align: right; } td.sign { min-width: 12em; }
.sheet { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; width: 150px; text-align: center; font-size: .85em; page-break-inside: avoid; }
figure img { width: 150px; height: 200px; border: 1px solid #888; display: block; }
.missing-photo { width: 150px; height: 200px; border: 1px dashed #c00; display: flex; align-items: center;
                 justify-content: center; color: #c00; }
.badge { color: #fff; background: #b60; border-radius: 3px; padding: 0 4px; font-size: .8em; }
@media print { a { color: inherit; text-decoration: none; } }
""" % CJK_FONT_STACK


def thumbnail_data_uri(photo: Path | None) -> str | None:
    """A small JPEG of the finished photo as a data: URI; None when the file cannot be read."""
    if photo is None:
        return None
    from PIL import Image
    try:
        with Image.open(photo) as im:
            im = im.convert("RGB")
            im.thumbnail(THUMB_SIZE)
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=80)
    except (OSError, ValueError) as exc:
        log.warning("thumbnail of %s failed: %s", photo.name, exc)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def class_sheet_fragment(college: str, class_name: str, students: Sequence[StudentRow]) -> str:
    """The <section> of one class: accepted photos as figures, then who has no accepted photo yet."""
    esc = html.escape
    parts = [f"<section><h2>{esc(college)} · {esc(class_name)}</h2>"]
    accepted = [s for s in students if s.status == "accepted"]
    missing = [s for s in students if s.status != "accepted"]
    parts.append("<p>" + esc(_("{accepted} accepted, {missing} without an accepted photo.",
                                  accepted=len(accepted), missing=len(missing))) + "</p>")
    parts.append('<div class="sheet">')
    for s in accepted:
        uri = thumbnail_data_uri(s.photo)
        img = (f'<img src="{uri}" alt="{esc(s.name or s.code)}">' if uri
               else f'<div class="missing-photo">{esc(_("photo file missing"))}</div>')
        badge = f' <span class="badge">{esc(status_label("submitted"))}</span>' if s.source == "submitted" else ""
        parts.append(f"<figure>{img}<figcaption>{esc(s.name or '')}<br>{esc(s.student_no or s.code)}{badge}"
                     "</figcaption></figure>")
    parts.append("</div>")
    if missing:
        parts.append("<p>" + esc(_("No accepted photo: {people}", people=", ".join(
            f"{s.name or ''} ({s.student_no or s.code}, {status_label(s.status)})" for s in missing))) + "</p>")
    parts.append("</section>")
    return "\n".join(parts)


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML page."""
    lang = "zh-CN" if current_language() == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")


def class_sheet_page(college: str, class_name: str, students: Sequence[StudentRow]) -> str:
    title = _("Contact sheet: {college} {class_name}", college=college, class_name=class_name)
    advice = _("Please check every face against its name before upload; report a wrong photo to the station.")
    body = (f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(advice)}</p>\n"
            + class_sheet_fragment(college, class_name, students))
    return page(title, body)
