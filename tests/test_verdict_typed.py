"""The verdict is typed after the pipeline (issue 21): `pipeline.result.Verdict` and `Reason` travel from the
pipeline to the store, and JSON is made or read only at the store's boundary (`station/store/`, and the two
converters in `pipeline/result.py`). Read from the source with ast: code outside the store that reads a verdict
as a dict (`verdict[...]`, `verdict.get(...)`, `take.verdict or {}`, `"ok" in verdict`, a verdict key such as
`["reasons"]` / `.get("croppable")`) fails here, naming the file and line. Plus the round trip an old journal
relies on."""
from __future__ import annotations

import ast
import json
from pathlib import Path

from pipeline import reasons as why
from pipeline.checks import CHECKS, OTHER_CODES, STATION_CHECKS
from pipeline.result import Reason, Verdict

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "pipeline", "camera", "station")
#: where a verdict may be JSON: the store (the writer's record, the read model's load) and the converters
ALLOWED = ("station/store/", "pipeline/result.py")
#: keys only a verdict's JSON has (read by key they mean someone is reading a verdict as a dict)
VERDICT_KEYS = {"reasons", "warnings", "croppable", "crop_box", "photo_sha256"}


def _is_verdict(node: ast.AST) -> bool:
    """`verdict`, `x.verdict`, `last_verdict`, `(take.verdict or {})`: an expression that holds a verdict."""
    if isinstance(node, ast.Name):
        return _verdict_name(node.id)
    if isinstance(node, ast.Attribute):
        return _verdict_name(node.attr)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        return _is_verdict(node.values[0])
    return False


def _verdict_name(name: str) -> bool:
    """`verdict`, `last_verdict`, `Verdict` (not `verdicts`: a collection, nor `verdict_ok`: a field)."""
    return name.lower() == "verdict" or name.lower().endswith("_verdict")


def _key(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def dict_reads(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if _is_verdict(node.value):
                found.append((node.lineno, "verdict[...]"))
            elif _key(node.slice) in VERDICT_KEYS:
                found.append((node.lineno, f"[{_key(node.slice)!r}]"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            if _is_verdict(node.func.value):
                found.append((node.lineno, "verdict.get(...)"))
            elif node.args and _key(node.args[0]) in VERDICT_KEYS:
                found.append((node.lineno, f".get({_key(node.args[0])!r})"))
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            if any(_is_verdict(c) for c in node.comparators):
                found.append((node.lineno, "... in verdict"))
    return found


def test_no_code_outside_the_store_reads_a_verdict_as_a_dict() -> None:
    problems = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(ALLOWED):
                continue
            tree = ast.parse(path.read_text("utf-8"), rel)
            problems += [f"{rel}:{line}: {what}" for line, what in dict_reads(tree)]
    assert not problems, "a verdict read as a dict (use pipeline.result.Verdict / Reason):\n" + "\n".join(problems)


def test_the_check_finds_what_it_is_for() -> None:
    """The detector itself: each way of reading a verdict by key is caught, attribute access is not."""
    bad = ("verdict['ok']", "take.verdict.get('photo')", "(take.verdict or {}).get('x')", "'ok' in verdict",
           "d['reasons']", "x.get('croppable', True)")
    for source in bad:
        assert dict_reads(ast.parse(source)), source
    for source in ("take.verdict.ok", "verdict.reasons[0].code", "x['code']", "v.warnings"):
        assert not dict_reads(ast.parse(source)), source


def test_every_reason_code_the_station_gives_is_in_the_registry_with_catalog_text() -> None:
    from config.i18n import in_language
    codes = {c.code for c in CHECKS} | set(OTHER_CODES) | set(STATION_CHECKS)
    for reason in (why.raw_only(), why.damaged_image("truncated"), why.pipeline_error("boom"), why.unreadable("x")):
        assert reason.code in codes and reason.message in STATION_CHECKS[reason.code].messages
        assert reason.zh != reason.en and not reason.zh.isascii(), reason      # the Chinese comes from the catalog
    for check in STATION_CHECKS.values():
        for message in check.messages:
            assert in_language("zh", message) != message, (check.code, message)
    assert why.damaged_image("truncated").zh == "照片已损坏：truncated"


def test_an_old_journal_verdict_loads_and_writes_back_the_same_shape() -> None:
    """Journals written before the typed verdict: a literal raw_only refusal with no level, a verdict without
    `croppable`, a face warning with `override` and `face`, keys this code does not know."""
    old_raw = {"ok": False, "reasons": [{"code": "raw_only", "zh": "仅有RAW文件，未分析", "en": "RAW only: not analysed"}]}
    v = Verdict.from_json(old_raw)
    assert v.ok is False and v.reasons[0].code == "raw_only" and v.reasons[0].level == "refuse" and v.croppable
    assert set(v.to_json()) == {"ok", "reasons"}
    face = {"code": "same_face_other", "zh": "此人脸", "en": "this face", "level": "warn", "override": True,
            "measure": "face_distance", "value": 0.3, "band": {"same_face_distance": 0.45},
            "face": {"station_id": "B2", "take": 7}, "future": 1}
    stored = {"ok": True, "reasons": [], "warnings": [face, {"code": "headwear", "zh": "帽", "en": "hat"}],
              "measures": {"roll_deg": 1.25}, "crop_box": [1, 2, 3, 4], "photo": "renders/x.jpg",
              "photo_sha256": "ab", "engine": "v2"}
    v = Verdict.from_json(json.loads(json.dumps(stored)))
    assert v.warnings[0].override and v.warnings[0].face == {"station_id": "B2", "take": 7}
    assert v.warnings[1].level == "warn" and not v.warnings[1].override
    assert v.photo == "renders/x.jpg" and v.crop_box == (1, 2, 3, 4) and v.croppable
    again = v.to_json()
    assert again["warnings"][0] == face and again["engine"] == "v2" and again["photo_sha256"] == "ab"
    assert Verdict.from_json(again).to_json() == again
    assert Verdict.from_json({"ok": True}).to_json() == {"ok": True}          # a test processor's verdict
    assert Verdict.from_json({}).ok is None                                   # status "none"


def test_the_face_check_adds_warnings_by_returning_a_new_verdict() -> None:
    v = Verdict(True, warnings=(Reason("headwear", "帽", "hat", level="warn"),))
    flagged = Reason("enrolment_mismatch", "不同", "differs", level="warn", override=True)
    added = v.with_warnings([flagged])
    assert [w.code for w in v.warnings] == ["headwear"]                       # the old one is untouched
    assert [w.code for w in added.warnings] == ["headwear", "enrolment_mismatch"]
    assert [w.code for w in added.with_warnings([], drop=frozenset({"enrolment_mismatch"})).warnings] == ["headwear"]
    assert added.to_json()["warnings"][1]["override"] is True
