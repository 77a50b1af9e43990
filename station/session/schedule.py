"""The school's shooting schedule (拍摄日程表): which college is in which room when.

Imported from the tables schools publish (CSV or XLSX: 批次, 单位/学院/系部, 起止时间 such as
"12月18日上午8:15-11:30", 拍摄地点; or separate date / start / end columns). Stored as ONE `schedule` event in
the journal (a re-import replaces the previous schedule), so a roster-less subject scanned at 10:00 in room
四教楼102 is recorded with the college the school sent there at that time.
"""
from __future__ import annotations

from config.i18n import _

import csv
import io
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from config.errors import DomainError

if TYPE_CHECKING:
    from station.store.workspace import Store

log = logging.getLogger(__name__)


class ScheduleError(DomainError):
    """A schedule file cannot be read; the message names the row."""


HEADERS = {
    "batch": ("批次", "序号", "batch", "no"),
    "college": ("单位", "学院", "系部", "院系", "学院名称", "单位名称", "部门", "college", "unit", "department"),
    "window": ("起止时间", "时间", "拍摄时间", "时间段", "time", "window"),
    "date": ("日期", "拍摄日期", "date", "day"),
    "start": ("开始", "开始时间", "起", "start"),
    "end": ("结束", "结束时间", "止", "end"),
    "room": ("拍摄地点", "地点", "教室", "拍摄教室", "room", "place", "location"),
}
_DASH = r"\s*(?:-|—|–|－|~|～|至|到)+\s*"
_CLOCK = r"(\d{1,2})\s*(?:[:：点时.])\s*(\d{1,2})?"
_HALF = r"(上午|中午|下午|晚上)?"
_DATE = re.compile(r"(?:(\d{4})\s*[年/.-]\s*)?(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?")
_WINDOW = re.compile(_HALF + r"\s*" + _CLOCK + _DASH + _HALF + r"\s*" + _CLOCK)
_SPLIT_COLLEGES = re.compile(r"[、，,;；/]+")


@dataclass(frozen=True)
class Slot:
    """One college in one room for one time window (naive local times)."""
    college: str
    room: str
    start: datetime
    end: datetime
    batch: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"college": self.college, "room": self.room, "start": self.start.isoformat(timespec="minutes"),
                "end": self.end.isoformat(timespec="minutes"), "batch": self.batch}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Slot":
        return cls(d["college"], d.get("room", ""), datetime.fromisoformat(d["start"]),
                   datetime.fromisoformat(d["end"]), d.get("batch", ""))


def norm_room(text: str | None) -> str:
    """Rooms are compared without spaces and case ("九教 110" == "九教110")."""
    return re.sub(r"\s+", "", text or "").lower()


def _norm_header(text: Any) -> str:
    return re.sub(r"\s+", "", str(text or "")).strip().lower()


def _to_24h(half: str | None, hour: int) -> int:
    """下午 2:00 is 14:00; 下午 12:30 stays 12:30; 晚上 7 is 19; a bare 1:00-6:59 is afternoon (no one
    shoots at 2 a.m.)."""
    if half in ("下午", "晚上") and 1 <= hour <= 11:
        return hour + 12
    if half is None and 1 <= hour <= 6:
        return hour + 12
    return hour


def parse_clock(text: str, half: str | None = None) -> time:
    m = re.search(_HALF + r"\s*" + _CLOCK, text)
    if not m:
        raise ValueError(_("no time of day in {text}", text=repr(text)))
    h = _to_24h(m.group(1) or half, int(m.group(2)))
    return time(h, int(m.group(3) or 0))


def parse_date(text: str, year: int | None) -> date | None:
    if isinstance(text, (datetime, date)):
        return text.date() if isinstance(text, datetime) else text
    m = _DATE.search(str(text))
    if not m:
        return None
    y = int(m.group(1)) if m.group(1) else (year or date.today().year)
    return date(y, int(m.group(2)), int(m.group(3)))


def parse_window(text: str, day: date | None, year: int | None) -> tuple[datetime, datetime]:
    """"12月18日上午8:15-11:30" (or "8:15-11:30" with the day from another column) -> (start, end)."""
    text = str(text).replace("：", ":")
    own_day = parse_date(text, year)
    day = own_day or day
    if day is None:
        raise ValueError(_("no date in {text} and no date column", text=repr(text)))
    rest = _DATE.sub(" ", text, count=1) if own_day else text
    m = _WINDOW.search(rest)
    if not m:
        raise ValueError(_("no time window like 8:15-11:30 in {text}", text=repr(text)))
    half1, h1, m1, half2, h2, m2 = m.groups()
    start = time(_to_24h(half1, int(h1)), int(m1 or 0))
    end_hour = int(h2)
    # "下午2:00-5:30": the second clock inherits 下午; "上午10:50-1:00" would be odd but 1 < 10 means pm.
    end_half = half2 or half1
    end_h = _to_24h(end_half, end_hour)
    if end_h < start.hour or (end_h == start.hour and int(m2 or 0) <= start.minute):
        end_h = end_hour + 12 if end_hour < 12 else end_hour
    end = time(end_h % 24, int(m2 or 0))
    return datetime.combine(day, start), datetime.combine(day, end)


def _read_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook
        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = wb.worksheets[0]
            return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            wb.close()
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ScheduleError(_("{path}: not UTF-8 or GB18030 text", path=path))
    dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _find_columns(rows: list[list[Any]]) -> tuple[int, dict[str, int]]:
    for index, row in enumerate(rows[:15]):
        names = [_norm_header(c) for c in row]
        found: dict[str, int] = {}
        for field_name, aliases in HEADERS.items():
            for col, name in enumerate(names):
                if name and col not in found.values() and (name in aliases or any(
                        name.startswith(a) for a in aliases if len(a) > 1 and not a.isascii())):
                    found[field_name] = col
                    break
        if "college" in found and ("window" in found or "start" in found):
            return index, found
    raise ScheduleError(_("no header row with a college column (单位/学院/系部) and a time column (起止时间/时间)"))


def parse_schedule(path: Path, *, year: int | None = None) -> list[Slot]:
    """Read a schedule file into slots; refuses the whole file on the first bad row (with its number)."""
    rows = _read_rows(path)
    header_at, cols = _find_columns(rows)
    slots: list[Slot] = []
    carry: dict[str, Any] = {}      # merged cells arrive blank: keep the row above's room / date
    for number, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        cell = {k: (row[c] if c < len(row) else "") for k, c in cols.items()}
        cell = {k: (v.strip() if isinstance(v, str) else v) for k, v in cell.items()}
        if not any(str(v).strip() for v in cell.values()):
            continue
        for key in ("room", "date", "window"):
            if key in cell and cell[key] in ("", None) and key in carry:
                cell[key] = carry[key]
        carry.update({k: v for k, v in cell.items() if v not in ("", None)})
        college_text = str(cell.get("college") or "").strip()
        if not college_text:
            continue
        try:
            day = parse_date(cell["date"], year) if cell.get("date") not in (None, "") else None
            if cell.get("window"):
                start, end = parse_window(str(cell["window"]), day, year)
            else:
                if day is None:
                    raise ValueError(_("no date"))
                start = datetime.combine(day, parse_clock(str(cell["start"])))
                end = datetime.combine(day, parse_clock(str(cell["end"])))
        except (ValueError, KeyError) as exc:
            raise ScheduleError(_("{file} row {row}: {problem}", file=path.name, row=number, problem=exc)) from None
        if end <= start:
            raise ScheduleError(_("{file} row {row}: the window ends before it starts", file=path.name, row=number))
        for college in _SPLIT_COLLEGES.split(college_text):
            college = re.sub(r"\s+", "", college)
            if college:
                slots.append(Slot(college, str(cell.get("room") or "").strip(), start, end,
                                  str(cell.get("batch") or "").strip()))
    if not slots:
        raise ScheduleError(_("{file}: no schedule rows found under the header", file=path.name))
    return slots


def import_schedule(store: "Store", path: Path, *, year: int | None = None,
                    operator: str | None = None) -> list[Slot]:
    """Parse and journal a schedule (one event; it replaces any earlier one). Dates without a year take the
    station clock's year (the store's injected clock, like every time the session stamps or compares)."""
    slots = parse_schedule(path, year=year or store.clock.now().year)
    store.record_schedule(operator=operator, file=path.name, rows=[s.to_dict() for s in slots])
    log.info("schedule %s imported: %d slots", path.name, len(slots))
    return slots


def load_slots(store: "Store") -> list[Slot]:
    return [Slot.from_dict(d) for d in store.schedule_rows()]


def slots_at(slots: Sequence[Slot], room: str | None, when: datetime) -> list[Slot]:
    """Slots covering `when` (start inclusive, end exclusive) in `room` (any room when the station has none)."""
    local = when.astimezone().replace(tzinfo=None) if when.tzinfo else when
    want = norm_room(room)
    return [s for s in slots if s.start <= local < s.end and (not want or norm_room(s.room) == want)]


def college_at(store: "Store", room: str | None, when: datetime | None = None) -> str | None:
    """The one college scheduled here now; None when there is none or it is ambiguous (set it by hand)."""
    found = {s.college for s in slots_at(load_slots(store), room, when or store.clock.now())}
    if len(found) == 1:
        return found.pop()
    if len(found) > 1:
        log.info("schedule: %d colleges share this room and time; set the college by hand", len(found))
    return None


def describe(slots: Iterable[Slot]) -> list[str]:
    return [f"{s.start:%m-%d %H:%M}-{s.end:%H:%M}  {s.room or '-':<10} {s.college}" for s in slots]
