"""Roster column headers and cell values: what registrars really type, turned into subject fields.

Registrar exports differ per school and per year (学号 vs 学生编号, "Student No." vs student_no, full-width
brackets, a "*" marking required columns), so headers are compared after normalising them, and a school's
odd header is mapped with `--map HEADER=field` instead of editing the file.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal, InvalidOperation
import re
import unicodedata
from typing import Any

from camera.devtext import HIDDEN, INVISIBLE
from config.i18n import N_, _
from station.core.errors import RosterError

#: subject fields a roster column can fill (`code` is derived, `extra` collects the rest)
FIELDS = ("student_no", "name", "sex", "id_number", "college", "major", "class_name", "level", "paid",
          "collect_code")
#: fields that identify a person: a row needs at least one of them
KEY_FIELDS = ("student_no", "id_number", "collect_code")
#: `--map HEADER=extra` keeps a column out of the subject fields (e.g. a second "院系" column)
EXTRA = "extra"

ALIASES: dict[str, tuple[str, ...]] = {
    "student_no": ("学号", "学生学号", "学生编号", "学籍号", "studentno", "studentnumber", "studentid", "stuno",
                   "stuid", "xh"),
    "name": ("姓名", "学生姓名", "名字", "学生名字", "考生姓名", "name", "studentname", "fullname", "xm"),
    "sex": ("性别", "sex", "gender", "xb"),
    "id_number": ("身份证号", "身份证号码", "身份证", "证件号码", "证件号", "公民身份号码", "居民身份证号",
                  "身份证件号", "身份证件号码",
                  "居民身份证号码", "idnumber", "idno", "idcard", "idcardno", "idcardnumber", "sfzh"),
    "college": ("学院", "院系", "系部", "院部", "所在学院", "所属学院", "学院名称", "院系名称", "教学院", "所在院系",
                "所属院系", "二级学院", "系别", "院系部", "培养单位", "学院(系)", "院(系)",
                "college", "department", "dept", "school", "faculty"),
    "major": ("专业", "专业名称", "所学专业", "major", "speciality", "specialty", "program", "programme"),
    "class_name": ("班级", "班级名称", "行政班", "行政班级", "所在班级", "班号", "class", "classname", "bj"),
    "level": ("层次", "学历层次", "培养层次", "学历", "level", "degreelevel", "educationlevel"),
    "paid": ("缴费", "是否缴费", "已缴费", "缴费情况", "缴费状态", "是否已缴费", "是否交费", "交费情况", "paid", "feepaid", "haspaid"),
    "collect_code": ("采集码", "图像采集码", "采集编号", "collectcode", "collectioncode", "capturecode"),
}

# ------------------------------------------------------------------------------------------ cell hygiene
#: invisible characters that copy-and-paste from web pages and chat tools leaves in cells: removed (a
#: zero-width space in a student number would make it "not in the roster" at the desk)
_INVISIBLE = re.compile(f"[{INVISIBLE}]")          # one list with device text: camera.devtext
#: characters no registrar types: NUL and other control codes (a damaged file), and the bidi embedding,
#: override and isolate controls that make text display in another order than it is stored (a spoof)
_REFUSED = re.compile(f"[{HIDDEN}]")
_BREAKS = re.compile(r"\s*[\r\n\t]+\s*")
#: fields whose cell must be one line: a line break there is a typing slip or an unterminated CSV quote
_ONE_LINE = (*KEY_FIELDS, "name")


def strip_invisible(text: str) -> str:
    """`text` without zero-width spaces, joiners, direction marks, soft hyphens and byte-order marks."""
    return _INVISIBLE.sub("", text)


def has_invisible(value: Any) -> bool:
    """True when a text cell carries characters that `cell_text` silently removes (the import notes them)."""
    return isinstance(value, str) and not value.isprintable() and _INVISIBLE.search(value) is not None


def _refuse_hidden(text: str, field: str | None) -> None:
    bad = _REFUSED.search(text)
    if bad:
        char = bad.group()
        name = unicodedata.name(char, "control character")
        raise CellProblem(_("{field} contains the hidden character U+{code:04X} ({name}); retype the cell",
                            field=_label(field), code=ord(char), name=name))


_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]|【.*?】|<.*?>")
_NOISE = re.compile(r"[\s_\-.:*#/\\'\"]+")


def normalise_header(text: str) -> str:
    """Compare headers loosely: NFKC (full-width -> ASCII), no brackets, spaces or punctuation, lower case."""
    text = unicodedata.normalize("NFKC", strip_invisible(text))
    text = _BRACKETED.sub("", text)
    return _NOISE.sub("", text).lower()


_LOOKUP: dict[str, str] = {normalise_header(a): f for f, aliases in ALIASES.items() for a in aliases}
_FIELD_NAMES = ({normalise_header(f): f for f in FIELDS}
                | {"class": "class_name", "code": "collect_code", "extra": EXTRA})


def parse_mapping(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`--map "工号=student_no"` options -> {normalised header: field}; a bad item is a RosterError."""
    mapping: dict[str, str] = {}
    for item in items:
        header, sep, target = item.partition("=")
        field = _FIELD_NAMES.get(normalise_header(target)) if sep else None
        if not header.strip() or field is None:
            raise RosterError(_("--map {item!r}: expected HEADER=FIELD with FIELD one of {fields} or {extra}",
                                item=item, fields=", ".join(FIELDS), extra=EXTRA))
        mapping[normalise_header(header)] = field
    return mapping


def field_for(header: str, mapping: dict[str, str]) -> str | None:
    """The subject field a header fills, or None (the column goes to `extra`)."""
    key = normalise_header(header)
    field = mapping.get(key) or _LOOKUP.get(key)
    return None if field == EXTRA else field


# ---------------------------------------------------------------------------------------------- cell values
_SCI = re.compile(r"^[+-]?\d+(\.\d+)?[eE]\+?\d+$")
#: Excel keeps 15 significant digits; a number this large typed into a cell has already lost some
_EXCEL_DIGITS = 10 ** 15


_SPACES = re.compile(r"\s+")
#: a key cell the fast path of `cell_text` leaves to the full rules: spaces, or an exponent (2.021E9)
_NOT_PLAIN_KEY = re.compile(r"[\seE.]")
_POINT_ZERO = re.compile(r"^(\d+)\.0+$")     # 2017001.0: a number written out as text by a program


def _exact_scientific(text: str) -> str | None:
    """'2.0210100001E10' -> '20210100001' when every digit of the number is written in the mantissa.

    Java-based academic systems print a student number held as a double this way. Excel's own display
    ('2.02201E+11') drops digits and pads zeros: refused by the caller, as is anything over 15 digits.
    """
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value != value.to_integral_value() or value < 0:
        return None
    digits = str(int(value))
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "").lstrip("0")
    if len(mantissa) != len(digits) or len(digits) > 15:
        return None
    return digits


class CellProblem(ValueError):
    """A cell whose value cannot be trusted; the message is the reason shown for the row."""


def cell_text(value: Any, field: str | None) -> str:
    """A cell (CSV text or an XLSX value) as the text the registrar meant; '' for empty.

    Numbers typed into Excel come back as int or float: 2017001.0 means "2017001". A long number (an ID
    number typed without formatting the column as text) has already lost digits inside Excel, so for the
    identity fields it is refused rather than turned into a wrong, plausible-looking number.
    """
    if value is None:
        return ""
    if type(value) is str and value.isprintable() and unicodedata.is_normalized("NFKC", value):
        # the common cell (20,000 rows x 10 columns): no control, invisible or full-width character in it
        text = value.strip()
        if not text.startswith(("=", "'")) and (field not in KEY_FIELDS or not _NOT_PLAIN_KEY.search(text)):
            return text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if field in KEY_FIELDS and abs(value) >= _EXCEL_DIGITS:
            raise CellProblem(_("{field} is stored as a number ({value}) and has lost digits;"
                                " format the column as text and re-enter it", field=_label(field),
                                value=format(value, ".14E")))
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    text = str(value)
    _refuse_hidden(text, field)
    text = unicodedata.normalize("NFKC", strip_invisible(text)).strip()
    if _BREAKS.search(text):
        if field in _ONE_LINE:
            raise CellProblem(_("{field} holds a line break (in a CSV file: an unterminated quote?)",
                                field=_label(field)))
        text = _BREAKS.sub(" ", text)
    # Excel CSV tricks that keep long numbers as text: ="110105...", a leading apostrophe or tab
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1].strip()
    text = text.lstrip("'\t").strip()
    if field in KEY_FIELDS:
        text = _SPACES.sub("", text)              # "2017 001", "4303 0219..." typed or pasted with spaces
        text = _POINT_ZERO.sub(r"\1", text)
        exact = _exact_scientific(text) if _SCI.match(text) else None
        if exact is not None:                     # 2.0210100001E10 (a system's double printed): every digit there
            return exact
    if field in KEY_FIELDS and _SCI.match(text):
        raise CellProblem(_("{field} {text!r} was saved in scientific notation and has lost digits;"
                            " format the column as text in Excel and export again", field=_label(field),
                            text=text))
    return text


_TRUE = {"是", "已缴", "已缴费", "已交", "已交费", "缴费", "1", "yes", "y", "true", "t", "√", "✓", "paid"}
_FALSE = {"否", "未缴", "未缴费", "未交", "未交费", "欠费", "0", "no", "n", "false", "f", "×", "✗", "unpaid"}


def parse_paid(text: str) -> bool | None:
    """是/否, 已缴/未缴, 1/0, yes/no, true/false, Y/N -> bool; '' -> None (unknown); else CellProblem."""
    key = text.strip().lower()
    if not key:
        return None
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellProblem(_("paid value {text!r} is not understood (use 是/否, 已缴/未缴, 1/0, yes/no)", text=text))


#: how a field is named in a row's reason (translated where used)
FIELD_LABELS = {"student_no": N_("student number"), "id_number": N_("ID number"), "collect_code": N_("采集码"),
                "name": N_("name"), "sex": N_("sex"), "college": N_("college"), "major": N_("major"),
                "class_name": N_("class"), "level": N_("level"), "paid": N_("paid")}


def _label(field: str | None) -> str:
    return _(FIELD_LABELS.get(field or "", N_("value")))
