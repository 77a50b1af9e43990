"""Manifests and summaries of an export, rendered to bytes.

CSV files are UTF-8 with a BOM (Excel on a Chinese Windows PC otherwise reads them as GBK) and CRLF line
ends. Nothing here reads a clock: the same export produces the same bytes, so a re-export is byte-identical
and a diff between two exports shows only real changes.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any, Sequence
from station.core import csvsafe

MANIFEST_NAME = "manifest.csv"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
MISSING_CSV = "missing.csv"
RESERVED_NAMES = frozenset({MANIFEST_NAME})

_MANIFEST_HEADER = ["拍摄号", "采集码", "学号", "姓名", "班级", "文件名", "SHA256", "拍摄时间", "工位"]
_ID_HEADER = "身份证号"
_OVERRIDE_HEADER = "放行理由 override"
_WALK_IN_HEADER = "现场补录"
WALK_IN_MARK = "现场补录（不在名单中）"


@dataclass(frozen=True)
class ManifestRow:
    """One exported photo as the registrar checks it."""
    shoot_no: int | None
    code: str
    student_no: str
    name: str
    class_name: str
    file: str                      # relative to the college folder, '/'-separated
    sha256: str
    captured_at: str
    station_id: str
    id_number: str = ""
    override: str = ""             # accepted despite its verdict: the operator's reason
    walk_in: bool = False          # checked in without being on the roster: the registrar checks them


def _csv_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csvsafe.writer(buf, lineterminator="\r\n")   # formula-looking cells as text
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode("utf-8-sig")


def manifest_csv(rows: Sequence[ManifestRow], *, with_id_number: bool) -> bytes:
    """The per-college manifest; ID numbers only when the file names already carry them; the override column
    only when a photo of this college was accepted despite its verdict, the walk-in column only when a student
    of this college was checked in without being on the roster (the registrar checks those)."""
    with_override = any(r.override for r in rows)
    with_walk_in = any(r.walk_in for r in rows)
    header = list(_MANIFEST_HEADER) + ([_ID_HEADER] if with_id_number else []) + \
        ([_OVERRIDE_HEADER] if with_override else []) + ([_WALK_IN_HEADER] if with_walk_in else [])
    table: list[list[Any]] = [header]
    for r in sorted(rows, key=lambda r: r.file):
        line = [r.shoot_no, r.code, r.student_no, r.name, r.class_name, r.file, r.sha256,
                local_time(r.captured_at), r.station_id]
        if with_id_number:
            line.append(r.id_number)
        if with_override:
            line.append(r.override)
        if with_walk_in:
            line.append(WALK_IN_MARK if r.walk_in else "")
        table.append(line)
    return _csv_bytes(table)


def summary_csv(colleges: Sequence[dict[str, Any]]) -> bytes:
    """One line per college: exported / missing / invalid, plus a total."""
    table: list[list[Any]] = [["学院", "文件夹", "已导出", "缺照", "不合格"]]
    totals = [0, 0, 0]
    for c in colleges:
        table.append([c["college"], c["folder"], c["exported"], c["missing"], c["invalid"]])
        totals = [totals[0] + c["exported"], totals[1] + c["missing"], totals[2] + c["invalid"]]
    table.append(["合计", "", *totals])
    return _csv_bytes(table)


#: a student's state as the export's files say it (export files are Chinese whatever the screen's language)
STATE_ZH = {"unshot": "未拍摄", "shot": "待审核", "rejected": "已拒绝（待重拍）", "accepted": "已通过",
            "invalid": "照片不合格"}


def state_zh(status: str) -> str:
    return STATE_ZH.get(status, status)


def reason_zh(m: dict[str, Any]) -> str:
    """Why a student has no exported photo, in words (the failing rules for an invalid photo)."""
    reason, status = m.get("reason") or "", m["status"]
    if reason and reason != status:
        return reason
    if status == "unshot":
        return "已签到未拍摄" if m.get("checked_in") else "未到场"
    return {"shot": "照片待审核，尚未决定", "rejected": "照片被拒，尚未重拍"}.get(status, "")


def missing_csv(missing: Sequence[dict[str, Any]]) -> bytes:
    """Who has no exported photo and why (never shot, only rejected, awaiting a decision, invalid)."""
    table: list[list[Any]] = [["学院", "班级", "学号", "采集码", "姓名", "状态", "原因"]]
    for m in missing:
        table.append([m["college"], m.get("class"), m.get("student_no"), m["code"], m.get("name"),
                      state_zh(m["status"]), reason_zh(m)])
    return _csv_bytes(table)


def local_time(stamp: str) -> str:
    """A journal time as the registrar reads it: local time with its UTC offset (a time without an offset
    is taken as local already)."""
    from datetime import datetime
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return when.astimezone().isoformat(timespec="seconds")


def summary_json(summary: dict[str, Any]) -> bytes:
    """The machine-readable summary (stable key order, no clock)."""
    return (json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
