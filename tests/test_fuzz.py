"""Fuzz the two doors hostile bytes come through: pictures (the decoder and the pipeline) and rosters (the
public import). Whatever the bytes, the answer is a result or a domain error, never another exception; a
truncated picture never passes; a refused roster leaves the workspace as it was (all rows or none).

Short in `make test` (HYPOTHESIS_PROFILE=ci, a few dozen examples); `make fuzz` runs the long profile.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import hostile_images as hi
from config.errors import DomainError

settings.register_profile("ci", max_examples=30, deadline=None, database=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", max_examples=3000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BASES = {"jpeg": hi.jpeg(1, (480, 640), noise=6), "progressive": hi.jpeg(5, (480, 640), progressive=True),
         "png": hi.png(6, (240, 320))}


def _preset():  # type: ignore[no-untyped-def]
    from config.formats import load_preset
    return load_preset("chsi-2017")


def mutate(data: bytes, kind: str, a: int, b: int, c: int) -> bytes:
    n = len(data)
    if kind == "truncate":
        return data[: a % n]
    if kind == "truncate+eoi":
        return data[: a % n] + hi.EOI
    if kind == "flip":
        return hi.flip(data, a % n, b % 8)
    if kind == "header":                      # a byte of the first 300 (markers, sizes, tables) set to c
        out = bytearray(data)
        out[a % min(300, n)] = c % 256
        return bytes(out)
    if kind == "size":
        w, h = 1 + a % 65535, 1 + b % 65535
        return hi.jpeg_with_size(data, w, h) if data.startswith(b"\xff\xd8") else hi.png_with_size(data, w, h)
    raise AssertionError(kind)


@given(base=st.sampled_from(sorted(BASES)), kind=st.sampled_from(["truncate", "truncate+eoi", "flip", "header",
                                                                   "size"]),
       a=st.integers(0, 1 << 30), b=st.integers(0, 1 << 30), c=st.integers(0, 255))
def test_any_damaged_picture_is_a_verdict_or_a_domain_error(base: str, kind: str, a: int, b: int, c: int) -> None:
    import pipeline
    data = mutate(BASES[base], kind, a, b, c)
    try:
        result = pipeline.process(data, _preset())
    except DomainError:
        return
    if kind.startswith("truncate") and BASES[base].startswith(b"\xff\xd8"):
        start, end = hi.scan_data(BASES[base])
        assert a % len(BASES[base]) >= end, "a JPEG cut inside its picture data passed"
    assert result is not None


ROSTER_CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["=HYPERLINK(\"x\")", "@SUM(1)", "2019\u200b001", "\u202e名字", "a\x00b", "\"unterminated",
                     "张三", "2019001", "110101199003077777", "", " ", "\ufeff学号"]))


@given(rows=st.lists(st.lists(ROSTER_CELLS, min_size=1, max_size=5), max_size=6),
       header=st.sampled_from(["学号,姓名,学院", "学号,姓名,身份证号,学院,班级", "name,student_no", "x"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_any_csv_roster_imports_all_or_nothing(tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]],
                                               header: str, encoding: str) -> None:
    import csv
    text = io.StringIO()
    text.write(header + "\n")
    csv.writer(text).writerows(rows)
    _import_all_or_nothing(tmp_path_factory.mktemp("roster"), "roster.csv",
                           text.getvalue().encode(encoding, errors="replace"))


def _xlsx() -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", "学院"])
    for i in range(5):
        sheet.append([f"201900{i}", f"学生{i}", "文学院"])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


XLSX = _xlsx()


@given(kind=st.sampled_from(["truncate", "flip", "header"]), a=st.integers(0, 1 << 30), b=st.integers(0, 7),
       c=st.integers(0, 255))
def test_any_damaged_xlsx_roster_is_refused_cleanly(tmp_path_factory: pytest.TempPathFactory, kind: str, a: int,
                                                    b: int, c: int) -> None:
    _import_all_or_nothing(tmp_path_factory.mktemp("xlsx"), "roster.xlsx", mutate(XLSX, kind, a, b, c))


def _import_all_or_nothing(folder: Path, name: str, data: bytes) -> None:
    from station.identity.roster import import_roster
    from workspace_factory import new_workspace
    store = new_workspace(folder / "ws")
    try:
        store.upsert_subjects([{"code": "KEEP1", "student_no": "KEEP1", "name": "原有"}], source_file="first.csv")
        before = [s.code for s in store.subjects()]
        path = folder / name
        path.write_bytes(data)
        try:
            import_roster(store, path)      # any exception but a domain error fails the test
        except DomainError:
            assert [s.code for s in store.subjects()] == before, "a refused roster changed the workspace"
    finally:
        store.close()
