"""`station report`: exact counts, refund / unpaid lists, sign-off order, sources, formats, contact sheets."""
from __future__ import annotations

import base64
import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from station.cli.main import cli
from test_report_helpers import (ACCEPTED, CHECKIN_ORDER, EXPECTED_GROUPS, EXPECTED_REFUNDS, EXPECTED_UNPAID,
                                 ROSTER, build_session, check_in, id_number, shoot)
from station.store.workspace import Store


#: the assertions below read the English headings (the Chinese workbook is checked in test_report_xlsx.py)
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_session(tmp_path_factory.mktemp("report") / "ws")


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def report_json(*workspaces: Path, extra: tuple[str, ...] = ()) -> dict:
    args = ["-w", str(workspaces[0]), "report", "--format", "json", *extra]
    if len(workspaces) > 1:
        for ws in workspaces:
            args += ["--from", str(ws)]
    return json.loads(run(*args))


def test_counts_per_college_and_class_are_exact(session: Path) -> None:
    data = report_json(session)
    got = {(g["college"], g["class"]): {k: g[k] for k in EXPECTED_GROUPS[("法学院", "法学1班")]}
           for g in data["groups"]}
    assert got == EXPECTED_GROUPS
    assert data["totals"]["roster"] == len(ROSTER)
    assert data["totals"]["accepted"] == len(ACCEPTED)


def test_refund_and_unpaid_lists_are_exact(session: Path) -> None:
    data = report_json(session)
    assert [p["student_no"] for p in data["refunds"]] == EXPECTED_REFUNDS
    assert [p["student_no"] for p in data["unpaid_photographed"]] == EXPECTED_UNPAID


def test_signoff_sheet_is_in_checkin_order(session: Path) -> None:
    data = report_json(session)
    rows = data["signoff"]
    assert [r["student_no"] for r in rows] == CHECKIN_ORDER
    assert [r["shoot_no"] for r in rows] == list(range(1, len(CHECKIN_ORDER) + 1))
    assert {r["station_id"] for r in rows} == {"S1"}
    names = dict((r[0], r[1]) for r in ROSTER)
    assert [r["name"] for r in rows] == [names[n] for n in CHECKIN_ORDER]


def test_report_shows_the_source_of_each_accepted_photo(session: Path) -> None:
    data = report_json(session)
    sources = {s["student_no"]: s["source"] for s in data["students"] if s["status"] == "accepted"}
    assert sorted(sources) == sorted(ACCEPTED)
    assert sources.pop("2019006") == "submitted"
    assert set(sources.values()) == {"station"}
    text = run("-w", str(session), "report")
    line = next(l for l in text.splitlines() if l.startswith("2019006"))
    assert "submitted" in line


def test_text_report_has_every_section(session: Path) -> None:
    text = run("-w", str(session), "report")
    for title in ("Per college and class", "refunds", "not paid", "sign-off", "signature"):
        assert title in text
    assert "法学1班" in text and "李娜" in text


def test_full_id_numbers_never_appear(session: Path, tmp_path: Path) -> None:
    outputs = [run("-w", str(session), "report", "--format", fmt) for fmt in ("text", "csv", "json", "html")]
    run("-w", str(session), "report", "--format", "html", "--out", str(tmp_path / "html"))
    outputs += [p.read_text(encoding="utf-8") for p in (tmp_path / "html").rglob("*.html")]
    full = [id_number(i) for i in range(len(ROSTER))]
    for text in outputs:
        for number in full:
            assert number not in text
    masked = json.loads(outputs[2])["refunds"][0]["id_number"]
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", masked)


def test_csv_has_a_bom_and_the_tables(session: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    run("-w", str(session), "report", "--format", "csv", "--out", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    titles = [r[0] for r in rows if len(r) == 1]
    assert "Paid but not photographed (refunds)" in titles
    start = rows.index(["Paid but not photographed (refunds)"])
    refund_rows = []
    for row in rows[start + 2:]:
        if not row:
            break
        refund_rows.append(row[0])
    assert refund_rows == EXPECTED_REFUNDS


def _data_uris(html_text: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/jpeg;base64,([^"]+)"', html_text)]


def test_html_report_writes_contact_sheets_per_class(session: Path, tmp_path: Path) -> None:
    out = tmp_path / "html"
    output = run("-w", str(session), "report", "--format", "html", "--out", str(out))
    main = out / "report.html"
    assert main.is_file() and str(main) in output
    sheets = sorted((out / "contact-sheets").glob("*.html"))
    assert len(sheets) == len(EXPECTED_GROUPS)
    main_text = main.read_text(encoding="utf-8")
    for sheet in sheets:
        assert f'contact-sheets/{sheet.name}' in main_text
    by_no = {r[0]: r for r in ROSTER}
    for no in ACCEPTED:
        _, name, college, klass, _ = by_no[no]
        sheet = next(p for p in sheets if college in p.name and klass in p.name)
        text = sheet.read_text(encoding="utf-8")
        figure = re.search(r'<figure><img src="data:image/jpeg;base64,[^"]+" alt="' + name
                           + r'"><figcaption>' + name + "<br>" + no, text)
        assert figure is not None, (no, sheet.name)
    law1 = next(p for p in sheets if "法学1班" in p.name).read_text(encoding="utf-8")
    images = _data_uris(law1)
    assert len(images) == 2                     # 张伟 and 刘洋 accepted in 法学1班
    for data in images:
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "JPEG" and im.size[1] > im.size[0]
    assert "李娜" in law1 and "unshot" in law1     # the missing are listed too
    law2 = next(p for p in sheets if "法学2班" in p.name).read_text(encoding="utf-8")
    assert "submitted" in law2


def test_html_to_a_named_file_and_to_stdout(session: Path, tmp_path: Path) -> None:
    out = tmp_path / "day1.html"
    run("-w", str(session), "report", "--format", "html", "--out", str(out))
    assert out.is_file()
    assert len(list((tmp_path / "day1-contact-sheets").glob("*.html"))) == len(EXPECTED_GROUPS)
    single = run("-w", str(session), "report", "--format", "html")
    assert single.startswith("<!DOCTYPE html>")
    assert len(_data_uris(single)) == len(ACCEPTED)


def test_college_filter(session: Path) -> None:
    data = report_json(session, extra=("--college", "文学院"))
    assert [(g["college"], g["class"]) for g in data["groups"]] == [("文学院", "汉语言1班")]
    assert data["refunds"] == []
    assert [r["student_no"] for r in data["signoff"]] == ["2019101"]


def test_report_merges_several_workspaces(session: Path, tmp_path: Path) -> None:
    from test_report_helpers import new_workspace, roster_row
    second = tmp_path / "ws2"
    with new_workspace(second, "S2") as store:
        store.upsert_subjects([roster_row(*r, serial=i) for i, r in enumerate(ROSTER)], source_file="roster.csv")
        assert check_in(store, "2019003") == 1
        shoot(store, "2019003", 9, "accept")
    data = report_json(session, second)
    assert [p["student_no"] for p in data["refunds"]] == ["2019002"]
    assert [(r["station_id"], r["student_no"]) for r in data["signoff"]] == (
        [("S1", n) for n in CHECKIN_ORDER] + [("S2", "2019003")])
    law1 = next(g for g in data["groups"] if g["class"] == "法学1班")
    assert (law1["roster"], law1["checked_in"], law1["accepted"], law1["not_shot"]) == (4, 4, 3, 0)
    assert data["conflicts"] == []
    li = next(s for s in data["students"] if s["student_no"] == "2019003")
    assert (li["station_id"], li["source"]) == ("S2", "station")


def test_report_on_a_missing_workspace_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(tmp_path / "nowhere"), "report"])
    assert result.exit_code == 1
    assert "error:" in result.output


def test_report_sees_the_store_untouched(session: Path) -> None:
    """The report only reads: no event is appended."""
    with Store.open(session) as store:
        before = store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    run("-w", str(session), "report", "--format", "json")
    with Store.open(session) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before


def test_roster_less_subjects_coded_by_id_number_are_masked(tmp_path: Path) -> None:
    """Registry sessions: the scanned ID number is the subject's code; the report must still mask it."""
    import workspace_factory as wf
    ws = tmp_path / "registry"
    full = id_number(77)
    with wf.new_workspace(ws) as store:
        subject = store.scanned_subject(full, college="法学院", id_number=full)
        wf.shoot(store, subject, wf.finished_photo(3), decision="accept")
    outputs = [run("-w", str(ws), "report", "--format", fmt) for fmt in ("text", "csv", "json", "html")]
    for text in outputs:
        assert full not in text
    data = json.loads(outputs[2])
    assert data["signoff"][0]["code"] == full[:6] + "*" * 8 + full[-4:]
    assert data["students"][0]["status"] == "accepted"
    out = tmp_path / "prints"
    run("-w", str(ws), "prints", str(out))
    assert [p.name for p in out.rglob("*.jpg")] == [f"{full[:6]}_{full[-4:]}.jpg"]
